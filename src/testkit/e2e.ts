/**
 * The end-to-end suite: a prediction leaves the traces a production system needs. The reply
 * names the model version, the model's counters on the metrics route moved, and a feedback event
 * that references the prediction is accepted. Checks the server does not offer are skipped with
 * the reason, never failed; over gRPC that includes feedback (no such RPC) and metrics unless
 * their HTTP URL is given.
 */
import { randomUUID } from 'node:crypto';
import { runCase, skippedSuite, suiteOf } from './case.js';
import { describeStatus, referenceBody, type SuiteContext } from './requests.js';
import type { CaseResult, SuiteResult } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Counter-like series (`*_total`, `*_count`, `*success*`) labelled with the model, summed by name. */
export function modelCounters(text: string, model: string): Map<string, number> {
  const out = new Map<string, number>();
  const label = new RegExp(`\\b(model|model_name)="${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !label.test(line)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{[^}]*\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, value] = match;
    if (!/(_total|_count|success)$/.test(name!) && !name!.includes('success')) continue;
    const v = Number(value);
    if (Number.isFinite(v)) out.set(name!, (out.get(name!) ?? 0) + v);
  }
  return out;
}

async function scrape(ctx: SuiteContext, url: string): Promise<Map<string, number> | { skip: string } | string> {
  const reply = await ctx.client.request(url);
  if (reply.status === 404) return { skip: `the endpoint has no metrics route (GET ${url} answered 404)` };
  if (reply.status !== 200) return `GET ${url} answered ${describeStatus(reply)}`;
  return modelCounters(reply.text, ctx.model);
}

export interface E2eOptions {
  /** Where the Prometheus metrics are when not on the endpoint (Triton serves them on :8002). */
  metricsUrl?: string;
}

export async function runE2eSuite(ctx: SuiteContext, options: E2eOptions = {}): Promise<SuiteResult> {
  const config = ctx.suite.e2e;
  if (!config.enabled) return skippedSuite('e2e', 'disabled in the suite file (e2e.enabled: false)');
  const body = ctx.metadata || ctx.suite.functional ? referenceBody(ctx) : undefined;
  if (!body) return skippedSuite('e2e', 'the model metadata is unavailable and the suite has no golden example to send (see the protocol suite)');
  const started = ctx.clock.now();
  const grpcTransport = ctx.client.protocol === 'grpc';
  // Over gRPC the metrics live on the server's HTTP port, which only the user knows.
  const metricsUrl = options.metricsUrl ?? (grpcTransport ? undefined : config.metricsPath);
  const id = `skein-testkit-${randomUUID()}`;
  const before = metricsUrl === undefined ? undefined : await scrape(ctx, metricsUrl).catch(() => undefined);
  let version: string | undefined;
  const cases: CaseResult[] = [
    await runCase(ctx.clock, 'the reply names the model, its version and the request id', async () => {
      const reply = await ctx.client.infer({ ...body, id });
      if (reply.status !== 200) return `answered ${describeStatus(reply)}, expected 200`;
      const b = reply.body;
      if (!isObject(b) || b.model_name !== ctx.model) return 'the reply does not name the model in `model_name`';
      if (typeof b.model_version !== 'string' || b.model_version === '') return 'the reply does not name the version that answered in `model_version`';
      if (b.id !== id) return 'the reply does not echo the request `id`';
      version = b.model_version;
      return undefined;
    }),
    await runCase(ctx.clock, 'the model\'s counters on the metrics route moved', async () => {
      if (metricsUrl === undefined) return { skip: 'over gRPC the metrics route is on the server\'s HTTP port: give it with --metrics-url' };
      if (before === undefined) return `GET ${metricsUrl} got no answer`;
      if (typeof before === 'string' || !(before instanceof Map)) return before;
      const after = await scrape(ctx, metricsUrl);
      if (!(after instanceof Map)) return after;
      if (before.size === 0 && after.size === 0) return `no counter on ${metricsUrl} carries the label model="${ctx.model.slice(0, 64)}"`;
      const moved = [...after].some(([name, v]) => v > (before.get(name) ?? 0));
      return moved ? undefined : `no counter labelled with the model increased after a prediction`;
    }),
    await runCase(ctx.clock, 'a feedback event referencing the prediction is accepted', async () => {
      if (version === undefined) return { skip: 'no prediction to refer to' };
      if (grpcTransport) return { skip: 'the OIP gRPC service has no feedback RPC' };
      const event = { prediction_id: id, model_name: ctx.model, model_version: version, event: 'skein_testkit', value: 1 };
      const reply = await ctx.client.request(config.feedbackPath, { body: JSON.stringify(event), headers: { 'content-type': 'application/json' } });
      if (reply.status === 404) return { skip: `the endpoint has no feedback route (POST ${config.feedbackPath} answered 404)` };
      return reply.status >= 200 && reply.status < 300 ? undefined : `POST ${config.feedbackPath} answered ${describeStatus(reply)}, expected 2xx`;
    }),
  ];
  return suiteOf('e2e', cases, ctx.clock.now() - started);
}
