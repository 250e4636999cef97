/**
 * The protocol suite: the Open Inference Protocol's health and metadata routes answer as the
 * specification says. Every other suite builds on the model metadata read here.
 */
import { runCase, suiteOf } from './case.js';
import { describeStatus, parseModelMetadata, type ModelMeta, type SuiteContext } from './requests.js';
import type { SuiteResult } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ProtocolResult {
  suite: SuiteResult;
  metadata?: ModelMeta;
}

function modelPath(ctx: SuiteContext): string {
  return `/v2/models/${encodeURIComponent(ctx.model)}` + (ctx.version ? `/versions/${encodeURIComponent(ctx.version)}` : '');
}

/** A health route must answer 200; the body, when JSON, must not say the opposite. */
async function health(ctx: SuiteContext, path: string, field: 'live' | 'ready'): Promise<string | undefined> {
  const reply = await ctx.client.request(path);
  if (reply.status === 404) return `GET ${path} answered 404: the endpoint does not offer the protocol's health route`;
  if (reply.status !== 200) return `GET ${path} answered ${describeStatus(reply)}, expected 200`;
  if (isObject(reply.body) && reply.body[field] === false) return `GET ${path} answered 200 with "${field}": false`;
  return undefined;
}

export async function runProtocolSuite(ctx: SuiteContext): Promise<ProtocolResult> {
  const started = ctx.clock.now();
  const { client, clock } = ctx;
  let metadata: ModelMeta | undefined;
  const cases = [
    await runCase(clock, 'server is live (GET /v2/health/live)', () => health(ctx, '/v2/health/live', 'live')),
    await runCase(clock, 'server is ready (GET /v2/health/ready)', () => health(ctx, '/v2/health/ready', 'ready')),
    await runCase(clock, 'server metadata names the server and its extensions (GET /v2)', async () => {
      const reply = await client.request('/v2');
      if (reply.status !== 200) return `GET /v2 answered ${describeStatus(reply)}, expected 200 with server metadata`;
      const b = reply.body;
      if (!isObject(b) || typeof b.name !== 'string' || typeof b.version !== 'string' || !Array.isArray(b.extensions)) {
        return 'GET /v2 must answer {"name": string, "version": string, "extensions": [string]}';
      }
      return undefined;
    }),
    await runCase(clock, `model metadata describes inputs and outputs (GET ${modelPath(ctx)})`, async () => {
      const reply = await client.request(modelPath(ctx));
      if (reply.status !== 200) return `GET ${modelPath(ctx)} answered ${describeStatus(reply)}, expected 200 with model metadata`;
      const parsed = parseModelMetadata(reply.body);
      if (typeof parsed === 'string') return parsed;
      if (parsed.name !== ctx.model) return `the model metadata names a different model than the one asked for`;
      metadata = parsed;
      return undefined;
    }),
    await runCase(clock, `model is ready (GET ${modelPath(ctx)}/ready)`, async () => {
      const reply = await client.request(`${modelPath(ctx)}/ready`);
      if (reply.status !== 200) return `GET ${modelPath(ctx)}/ready answered ${describeStatus(reply)}, expected 200`;
      if (isObject(reply.body) && reply.body.ready === false) return 'the model ready route answered 200 with "ready": false';
      return undefined;
    }),
  ];
  return { suite: suiteOf('protocol', cases, clock.now() - started), ...(metadata ? { metadata } : {}) };
}
