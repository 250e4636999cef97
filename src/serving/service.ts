import type { Logger } from 'pino';
import { ServingError, isServingError, type ErrorCode } from '../errors/index.js';
import type { ModelManager, VersionEntry } from '../repository/index.js';
import { batchKeyOf, validateInputs, validateRequestedOutputs } from '../tensor/index.js';
import type { Clock } from '../util/index.js';
import { queueTimeoutMs } from './timeout.js';
import type {
  IndexEntry, InferRequest, InferResponse, InferenceService, ModelMetadata, ModelStatistics, ServerMetadata,
} from './types.js';

export interface ServiceOptions {
  manager: ModelManager;
  logger: Logger;
  clock: Clock;
  platform: string;
  serverVersion: string;
  /** Payload logging (privacy area): sampled lines of request and response tensors; absent = off. */
  payloadLog?: { maybeLog(request: InferRequest, response: InferResponse): void };
}

export interface ManagedService extends InferenceService {
  /** After SIGTERM: ready turns false and new requests get SHUTTING_DOWN; queued ones still run. */
  beginDrain(): void;
  readonly draining: boolean;
}

/** Triton's failure reasons for nv_inference_request_failure. */
function failureReason(code: ErrorCode): string {
  if (code === 'QUEUE_FULL' || code === 'DEADLINE_EXCEEDED' || code === 'SHUTTING_DOWN') return 'REJECTED';
  if (code === 'INFERENCE_FAILED' || code === 'INTERNAL') return 'BACKEND';
  return 'OTHER';
}

export function createInferenceService(o: ServiceOptions): ManagedService {
  const { manager, clock } = o;
  let draining = false;

  async function run(entry: VersionEntry, req: InferRequest): Promise<InferResponse> {
    const signature = entry.signature;
    const given = req.prepare ? await req.prepare({ model: entry.model, version: entry.version, signature, generation: entry }) : req.inputs;
    const inputs = validateInputs(given, signature, { maxBatchSize: entry.maxBatchSize });
    const wanted = req.outputs?.map((x) => x.name);
    if (wanted) validateRequestedOutputs(wanted, signature);
    const batcher = entry.batcher;
    if (!batcher) throw new ServingError('MODEL_NOT_READY', `model '${entry.model}' version ${entry.version} is not ready`);
    const rows = entry.maxBatchSize > 0 ? (inputs[0]?.shape[0] ?? 1) : 1;
    const timeoutMs = queueTimeoutMs(req, entry.config.batching.defaultTimeoutMs);
    const outputs = await batcher.submit({
      input: { inputs },
      rows,
      batchKey: entry.maxBatchSize > 0 ? batchKeyOf(inputs) : '',
      ...(timeoutMs > 0 ? { deadlineMs: clock.now() + timeoutMs } : {}),
    });
    const chosen = wanted ? wanted.map((n) => outputs.find((t) => t.name === n)!).filter(Boolean) : outputs;
    return {
      model_name: entry.model,
      model_version: entry.versionLabel,
      ...(req.id !== undefined ? { id: req.id } : {}),
      outputs: chosen,
    };
  }

  const service: ManagedService = {
    get draining() {
      return draining;
    },
    beginDrain() {
      draining = true;
    },

    async infer(req) {
      if (draining) throw new ServingError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica');
      const entry = manager.resolve(req.model, req.version);
      const m = entry.m;
      const started = clock.now();
      entry.acquire();
      m.inflight.inc();
      try {
        const res = await run(entry, req);
        const ms = clock.now() - started;
        m.success.inc();
        m.ok.inc();
        m.requestSeconds.observe(ms / 1000);
        m.requestUs.inc(ms * 1000);
        entry.stats.success.count++;
        entry.stats.success.ns += Math.round(ms * 1e6);
        entry.stats.lastInferenceMs = Date.now();
        // Payload logging: only successful requests, after the metrics; maybeLog never throws.
        o.payloadLog?.maybeLog(req, res);
        return res;
      } catch (err) {
        const code: ErrorCode = isServingError(err) ? err.code : 'INTERNAL';
        const ms = clock.now() - started;
        m.failed(code, failureReason(code));
        entry.stats.fail.count++;
        entry.stats.fail.ns += Math.round(ms * 1e6);
        if (!isServingError(err)) o.logger.error({ model: entry.model, version: entry.version, err: String(err) }, 'inference failed unexpectedly');
        throw err;
      } finally {
        m.inflight.dec();
        entry.release();
      }
    },

    live: () => true,
    ready: () => !draining && manager.allReady(),

    modelReady(model, version) {
      try {
        manager.resolve(model, version);
        return true;
      } catch (err) {
        if (isServingError(err) && (err.code === 'MODEL_NOT_FOUND' || err.code === 'INVALID_MODEL_NAME')) throw err;
        return false;
      }
    },

    serverMetadata(): ServerMetadata {
      const extensions = ['binary_tensor_data', 'model_configuration', 'statistics'];
      if (manager.mode === 'explicit') extensions.push('model_repository');
      return { name: 'skein', version: o.serverVersion, extensions };
    },

    modelMetadata(model, version): ModelMetadata {
      const entry = manager.resolve(model, version);
      const sig = entry.signature;
      return {
        name: entry.model,
        versions: manager.versionsOf(model).filter((e) => e.state === 'ready').map((e) => e.versionLabel),
        platform: o.platform,
        inputs: sig.inputs.map((t) => ({ ...t, shape: [...t.shape] })),
        outputs: sig.outputs.map((t) => ({ ...t, shape: [...t.shape] })),
      };
    },

    modelConfig(model, version) {
      const entry = manager.resolve(model, version);
      const config = entry.config;
      return {
        name: entry.model,
        platform: config.platform,
        maxBatchSize: entry.maxBatchSize,
        batching: config.batching,
        versionPolicy: config.versionPolicy,
        labels: manager.labelsOf(model),
        warmup: config.warmup,
        runtime: { instances: entry.loaded?.instances, intraOpThreads: config.runtime.intraOpThreads, inlineMaxUs: config.runtime.inlineMaxUs, inlineIntraOpThreads: config.runtime.inlineIntraOpThreads, inline: entry.inlineEnabled },
        loadTimeoutMs: config.loadTimeoutMs,
        inputs: entry.signature.inputs,
        outputs: entry.signature.outputs,
      };
    },

    statistics(model, version): ModelStatistics[] {
      if (model !== undefined) {
        const entries = version !== undefined ? [manager.resolve(model, version)] : manager.versionsOf(model);
        if (version === undefined) manager.config(model);
        return entries.map((e) => e.stats.toJSON(e.model, e.versionLabel));
      }
      return manager.modelNames().flatMap((n) => manager.versionsOf(n).map((e) => e.stats.toJSON(e.model, e.versionLabel)));
    },

    repositoryIndex(): IndexEntry[] {
      return manager.index();
    },

    loadModel: (model) => manager.load(model),
    unloadModel: (model) => manager.unload(model),
  };
  return service;
}
