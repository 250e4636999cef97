import { ServingError, isServingError } from '../../errors/index.js';
import type { Action } from '../../auth/index.js';
import { TRITON_STATE_OF, type InferenceService } from '../../serving/index.js';
import { decodeModelInfer, encodeModelInfer, type InferLimits } from './infer-codec.js';
import { remainingDeadlineMs } from './status.js';
import type {
  WireHealthRequest, WireIndexRequest, WireInferRequest, WireModelRequest, WireRepositoryRequest,
} from './wire.js';
import type * as grpc from '@grpc/grpc-js';

/**
 * One RPC: the guard action it needs (computed from the decoded request) and what it does. The
 * server checks the action with the Guard before `run` is called.
 */
export interface Rpc<Req = any, Res = unknown> {
  action(request: Req): Action;
  /** principal: the authenticated caller's id, when auth is on. */
  run(request: Req, call: grpc.ServerUnaryCall<Req, Res>, principal?: string): Res | Promise<Res>;
}

export interface HandlerContext {
  service: InferenceService;
  limits: InferLimits;
  modelControl: boolean;
}

/** The service names that mean "the whole server" in grpc.health.v1. */
const SERVER_HEALTH_NAMES = new Set(['', 'inference.GRPCInferenceService']);

const HEALTH: Action = { kind: 'health' };
const ADMIN: Action = { kind: 'admin' };
const metadataOf = (r: WireModelRequest): Action => (r.name ? { kind: 'metadata', model: r.name } : { kind: 'metadata' });
const versionOf = (r: WireModelRequest): string | undefined => r.version || undefined;

/** The inference.GRPCInferenceService methods. Each only decodes, calls the service and encodes. */
export function inferenceRpcs(ctx: HandlerContext): Record<string, Rpc> {
  const { service } = ctx;
  return {
    ServerLive: { action: () => HEALTH, run: () => ({ live: service.live() }) },
    ServerReady: { action: () => HEALTH, run: () => ({ ready: service.ready() }) },
    ModelReady: {
      action: metadataOf,
      run: (r: WireModelRequest) => ({ ready: service.modelReady(r.name ?? '', versionOf(r)) }),
    },
    ServerMetadata: { action: () => ({ kind: 'metadata' }), run: () => service.serverMetadata() },
    ModelMetadata: { action: metadataOf, run: (r: WireModelRequest) => service.modelMetadata(r.name ?? '', versionOf(r)) },
    ModelConfig: {
      action: metadataOf,
      run: (r: WireModelRequest) => ({ config_json: JSON.stringify(service.modelConfig(r.name ?? '', versionOf(r))) }),
    },
    ModelStatistics: {
      action: metadataOf,
      run: (r: WireModelRequest) => ({ model_stats: service.statistics(r.name || undefined, versionOf(r)) }),
    },
    ModelInfer: {
      action: (r: WireInferRequest) => ({ kind: 'infer', model: r.model_name ?? '' }),
      run: async (r: WireInferRequest, call, principal) => {
        const request = decodeModelInfer(r, ctx.limits);
        if (principal !== undefined) request.principal = principal;
        const timeoutMs = deadlineTimeoutMs(remainingDeadlineMs(call.getDeadline()));
        if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
        return encodeModelInfer(request, await service.infer(request));
      },
    },
    ...repositoryRpcs(ctx),
  };
}

/**
 * The request waits no longer than the client will: the call's remaining deadline becomes the
 * request's own limit (the service takes the shorter of it and any `timeout` parameter), so work
 * queued past the client's deadline is never run.
 */
export function deadlineTimeoutMs(remainingMs: number | undefined): number | undefined {
  if (remainingMs === undefined) return undefined;
  if (remainingMs <= 0) {
    throw new ServingError('DEADLINE_EXCEEDED', 'the call deadline passed before the request was queued; it was not run');
  }
  return remainingMs;
}

function repositoryRpcs(ctx: HandlerContext): Record<string, Rpc> {
  const { service, modelControl } = ctx;
  const controlled = (what: 'load' | 'unload', allowed: string[], act: (model: string) => Promise<void>): Rpc => ({
    action: () => ADMIN,
    run: async (r: WireRepositoryRequest) => {
      if (!modelControl) throw new ServingError('CONTROL_DISABLED', 'load and unload need --model-control-mode explicit');
      checkRepositoryName(r.repository_name);
      // Triton lets a load carry a config or model files inline; Skein loads only what is in the
      // repository, so such parameters are refused rather than silently ignored.
      if (Object.keys(r.parameters).some((k) => !allowed.includes(k))) {
        throw new ServingError('UNSUPPORTED', `${what} accepts no parameters other than [${allowed.join(', ')}]; put the model and its config.yaml in the repository`);
      }
      await act(r.model_name ?? '');
      return {};
    },
  });
  return {
    RepositoryIndex: {
      action: () => ADMIN,
      run: (r: WireIndexRequest) => {
        checkRepositoryName(r.repository_name);
        const entries = service.repositoryIndex().filter((e) => r.ready !== true || e.state === 'ready');
        return {
          models: entries.map((e) => ({ name: e.name, version: e.version, state: TRITON_STATE_OF[e.state], reason: e.reason ?? '' })),
        };
      },
    },
    RepositoryModelLoad: controlled('load', [], (model) => service.loadModel(model)),
    // Skein models have no dependents, so unload_dependents changes nothing and is accepted.
    RepositoryModelUnload: controlled('unload', ['unload_dependents'], (model) => service.unloadModel(model)),
  };
}

function checkRepositoryName(name: string | undefined): void {
  if (name) throw new ServingError('UNSUPPORTED', 'Skein serves one model repository; leave repository_name empty');
}

/** SERVING_STATUS enum names of grpc.health.v1. */
type HealthStatus = 'SERVING' | 'NOT_SERVING';

/**
 * grpc.health.v1 Check: "" (or the inference service's name) is the whole server, a model name is
 * that model; any other name is answered NOT_FOUND, as the health protocol requires.
 */
export function healthCheck(service: InferenceService): Rpc<WireHealthRequest, { status: HealthStatus }> {
  return {
    action: () => HEALTH,
    run: (r) => {
      const name = r.service ?? '';
      if (SERVER_HEALTH_NAMES.has(name)) return { status: service.ready() ? 'SERVING' : 'NOT_SERVING' };
      try {
        return { status: service.modelReady(name) ? 'SERVING' : 'NOT_SERVING' };
      } catch (err) {
        if (isServingError(err) && (err.code === 'MODEL_NOT_FOUND' || err.code === 'INVALID_MODEL_NAME')) {
          throw new ServingError('MODEL_NOT_FOUND', 'no service or model of that name; check "" for the whole server');
        }
        throw err;
      }
    },
  };
}
