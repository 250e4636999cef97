/**
 * The protocol suite over gRPC: the OIP health and metadata RPCs answer as the specification
 * says. Every other suite builds on the model metadata read here, as over REST.
 */
import { InferenceClientError } from '../client/index.js';
import { runCase, suiteOf, type CaseOutcome } from './case.js';
import { grpcCodeName, grpcFailure, type GrpcOipClient } from './grpc-client.js';
import type { ProtocolResult } from './protocol.js';
import { parseModelMetadata, type ModelMeta, type SuiteContext } from './requests.js';

/** Runs one RPC; a status other than OK fails the case with the code and message. */
async function rpc<T>(ctx: SuiteContext, name: string, call: () => Promise<T>, check: (reply: T) => CaseOutcome): Promise<CaseOutcome> {
  try {
    return check(await call());
  } catch (err) {
    const failure: InferenceClientError = grpcFailure(err, name, ctx.client.requestTimeoutMs);
    const code = failure.code ? ` ${failure.code}` : '';
    return `${name} answered ${grpcCodeName(failure.status)} (${failure.status})${code}: ${failure.message.slice(0, 200)}, expected OK`;
  }
}

export async function runGrpcProtocolSuite(ctx: SuiteContext): Promise<ProtocolResult> {
  const started = ctx.clock.now();
  const { clock } = ctx;
  const inference = (ctx.client as GrpcOipClient).inference;
  let metadata: ModelMeta | undefined;
  const cases = [
    await runCase(clock, 'server is live (ServerLive)', () =>
      rpc(ctx, 'ServerLive', () => inference.serverLive(), (live) => (live ? undefined : 'ServerLive answered live: false'))),
    await runCase(clock, 'server is ready (ServerReady)', () =>
      rpc(ctx, 'ServerReady', () => inference.serverReady(), (ready) => (ready ? undefined : 'ServerReady answered ready: false'))),
    await runCase(clock, 'server metadata names the server and its extensions (ServerMetadata)', () =>
      rpc(ctx, 'ServerMetadata', () => inference.serverMetadata(), (m) =>
        (m.name === '' || !Array.isArray(m.extensions) ? 'ServerMetadata must answer a non-empty `name`, a `version` and `extensions`' : undefined))),
    await runCase(clock, 'model metadata describes inputs and outputs (ModelMetadata)', () =>
      rpc(ctx, 'ModelMetadata', () => inference.modelMetadata(ctx.model, ctx.version), (m) => {
        const parsed = parseModelMetadata(m);
        if (typeof parsed === 'string') return parsed;
        if (parsed.name !== ctx.model) return 'the model metadata names a different model than the one asked for';
        metadata = parsed;
        return undefined;
      })),
    await runCase(clock, 'model is ready (ModelReady)', () =>
      rpc(ctx, 'ModelReady', () => inference.modelReady(ctx.model, ctx.version), (ready) =>
        (ready ? undefined : 'ModelReady answered ready: false (an unknown model or version also answers this way)'))),
  ];
  return { suite: suiteOf('protocol', cases, clock.now() - started), ...(metadata ? { metadata } : {}) };
}
