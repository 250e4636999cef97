/**
 * The load suite: an open-loop generator. Requests are scheduled at a constant arrival rate
 * (users × ratePerUser per second) whatever the server does, and each latency is measured from
 * the request's *scheduled* send time, so a slow server or a stalled client cannot hide queueing
 * (coordinated omission). Duration and outstanding requests are bounded: past maxInFlight a
 * request is dropped and counted, never queued without limit.
 */
import type { Clock } from '../util/index.js';
import { runCase, skippedSuite, suiteOf } from './case.js';
import { describeStatus, failureMessage, referenceBody, type SuiteContext } from './requests.js';
import { percentile } from './stats.js';
import type { LoadThresholds } from './suite.js';
import type { LoadProgress, LoadSample, LoadSummary, SuiteResult } from './types.js';

export interface SendOutcome {
  ok: boolean;
  error?: string;
}

export interface OpenLoopOptions {
  targetRps: number;
  durationMs: number;
  maxInFlight: number;
  clock: Clock;
  /** Sends one request; must settle (the client's request timeout bounds it) and never reject. */
  send: () => Promise<SendOutcome>;
  onProgress?: (progress: LoadProgress) => void;
}

const MAX_ERROR_MESSAGES = 5;

export function runOpenLoop(options: OpenLoopOptions): Promise<LoadSummary> {
  const { clock, targetRps, durationMs, maxInFlight } = options;
  const total = Math.max(1, Math.floor((targetRps * durationMs) / 1000));
  const offsetOf = (i: number): number => (i * 1000) / targetRps;
  const start = clock.now();
  const samples: LoadSample[] = [];
  const errorMessages = new Set<string>();
  let next = 0;
  let inFlight = 0;
  let completed = 0;
  let errors = 0;
  let dropped = 0;
  let lastDoneMs = 0;

  return new Promise((resolve) => {
    const progress = (): void => options.onProgress?.({ scheduled: next, total, completed: completed + dropped, errors: errors + dropped });
    const finishIfDone = (): void => {
      if (next < total || inFlight > 0) return;
      resolve(summarize({ targetRps, durationMs, scheduled: total, dropped, samples, errorMessages: [...errorMessages], lastDoneMs }));
    };
    const dispatch = (i: number): void => {
      if (inFlight >= maxInFlight) {
        dropped++;
        if (errorMessages.size < MAX_ERROR_MESSAGES) errorMessages.add(`not sent: ${maxInFlight} requests were outstanding (maxInFlight)`);
        return;
      }
      inFlight++;
      void options.send().then((outcome) => {
        const doneMs = clock.now() - start;
        inFlight--;
        completed++;
        lastDoneMs = Math.max(lastDoneMs, doneMs);
        samples.push({ scheduledAtMs: offsetOf(i), latencyMs: Math.max(0, doneMs - offsetOf(i)), ok: outcome.ok });
        if (!outcome.ok) {
          errors++;
          if (outcome.error && errorMessages.size < MAX_ERROR_MESSAGES) errorMessages.add(outcome.error);
        }
        progress();
        finishIfDone();
      });
    };
    const tick = (): void => {
      const now = clock.now() - start;
      while (next < total && offsetOf(next) <= now) dispatch(next++);
      progress();
      if (next < total) clock.setTimeout(tick, offsetOf(next) - now);
      else finishIfDone();
    };
    tick();
  });
}

interface Raw {
  targetRps: number;
  durationMs: number;
  scheduled: number;
  dropped: number;
  samples: LoadSample[];
  errorMessages: string[];
  lastDoneMs: number;
}

function summarize(raw: Raw): LoadSummary {
  const sorted = raw.samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const ok = raw.samples.filter((s) => s.ok).length;
  const errors = raw.samples.length - ok;
  const elapsedMs = Math.max(raw.durationMs, raw.lastDoneMs);
  return {
    targetRps: raw.targetRps,
    durationMs: raw.durationMs,
    scheduled: raw.scheduled,
    sent: raw.samples.length,
    ok,
    errors,
    dropped: raw.dropped,
    errorRate: (errors + raw.dropped) / raw.scheduled,
    achievedRps: (ok * 1000) / elapsedMs,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    samples: raw.samples.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs),
    errorMessages: raw.errorMessages,
  };
}

/** One pass/fail sentence per threshold; undefined where the threshold holds. */
export function loadVerdicts(s: LoadSummary, t: LoadThresholds): Array<[string, string | undefined]> {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const latency = (label: string, actual: number, limit: number | undefined): Array<[string, string | undefined]> =>
    limit === undefined ? [] : [[`${label} latency ≤ ${limit} ms`, actual <= limit ? undefined : `${label} latency ${ms(actual)}, over ${limit} ms`]];
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  return [
    ...latency('p50', s.p50Ms, t.p50Ms),
    ...latency('p95', s.p95Ms, t.p95Ms),
    ...latency('p99', s.p99Ms, t.p99Ms),
    ...latency('max', s.maxMs, t.maxMs),
    [`error rate ≤ ${pct(t.maxErrorRate)}`, s.errorRate <= t.maxErrorRate ? undefined
      : `error rate ${pct(s.errorRate)} (${s.errors} failed, ${s.dropped} not sent of ${s.scheduled}); first: ${s.errorMessages[0] ?? 'none'}`],
    [`achieved rate ≥ ${pct(t.minRateRatio)} of ${s.targetRps} requests/s`, s.achievedRps >= t.minRateRatio * s.targetRps ? undefined
      : `achieved ${s.achievedRps.toFixed(1)} successful requests/s of ${s.targetRps} targeted`],
  ];
}

export async function runLoadSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const config = ctx.suite.load;
  if (!config.enabled) return skippedSuite('load', 'disabled in the suite file (load.enabled: false)');
  const body = ctx.metadata || ctx.suite.functional ? referenceBody(ctx) : undefined;
  if (!body) return skippedSuite('load', 'the model metadata is unavailable and the suite has no golden example to send (see the protocol suite)');
  const started = ctx.clock.now();
  const send = async (): Promise<SendOutcome> => {
    try {
      const reply = await ctx.client.infer(body);
      return reply.status === 200 ? { ok: true } : { ok: false, error: describeStatus(reply) };
    } catch (err) {
      return { ok: false, error: failureMessage(err) };
    }
  };
  const summary = await runOpenLoop({
    targetRps: config.users * config.ratePerUser, durationMs: config.durationMs, maxInFlight: config.maxInFlight,
    clock: ctx.clock, send, ...(ctx.onLoadProgress ? { onProgress: ctx.onLoadProgress } : {}),
  });
  const cases = [];
  for (const [name, problem] of loadVerdicts(summary, config.thresholds)) cases.push(await runCase(ctx.clock, name, async () => problem));
  return suiteOf('load', cases, ctx.clock.now() - started, { load: summary });
}
