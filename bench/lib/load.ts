/**
 * One load run: autocannon POSTs the same infer body at a fixed concurrency for a fixed time,
 * after a short warmup, while the server's probe records its event-loop delay and CPU time and
 * the bench records its own CPU time (the load generator shares the cores with the servers).
 */
import autocannon, { type Result } from 'autocannon';
import type { ServerChild } from './children.js';
import { busyCores, readCpuTicks } from './machine-load.js';

export interface LoadOptions {
  path: string;
  body: string;
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface LoadResult {
  /** 2xx answers per second over the run. */
  rps: number;
  /** Latency percentiles of 2xx answers, from each response's own float time (µs resolution). */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** autocannon's own percentiles: its histogram keeps whole milliseconds only. */
  autocannonP50Ms: number;
  autocannonP99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Server process CPU (all threads) during the run, in cores (1.0 = one core busy). */
  serverCores: number;
  /** This process's CPU (autocannon) during the run, in cores. */
  loadGenCores: number;
  /** CPU taken by every other process on the machine during the run, in cores (noise). */
  otherCores: number | undefined;
  /** Server event-loop delay beyond the probe's sampling interval, ms. */
  serverLoopDelayP99Ms: number;
  serverLoopDelayMaxMs: number;
}

const REQUEST_TIMEOUT_S = 10;

interface Fired {
  result: Result;
  latenciesMs: number[];
}

async function fire(url: string, options: LoadOptions, durationS: number): Promise<Fired> {
  const latenciesMs: number[] = [];
  const instance = autocannon({
    url,
    method: 'POST',
    body: options.body,
    headers: { 'content-type': 'application/json' },
    connections: options.connections,
    pipelining: 1,
    duration: durationS,
    timeout: REQUEST_TIMEOUT_S,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
  });
  return { result: await instance, latenciesMs };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(server: ServerChild, options: LoadOptions): Promise<LoadResult> {
  const url = `${server.url}${options.path}`;
  if (options.warmupS > 0) await fire(url, options, options.warmupS);
  await server.resetProbe();
  const before = await server.readProbe();
  const genBefore = process.cpuUsage();
  const ticksBefore = readCpuTicks();
  const startedMs = performance.now();
  const { result: r, latenciesMs } = await fire(url, options, options.durationS);
  const elapsedMs = performance.now() - startedMs;
  const gen = process.cpuUsage(genBefore);
  const machineCores = busyCores(ticksBefore, readCpuTicks());
  const after = await server.readProbe();
  const serverCpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs;
  const serverCores = serverCpuMs / elapsedMs;
  const loadGenCores = (gen.user + gen.system) / 1000 / elapsedMs;
  const sorted = Float64Array.from(latenciesMs).sort();
  const sum = latenciesMs.reduce((a, b) => a + b, 0);
  return {
    rps: latenciesMs.length / (elapsedMs / 1000),
    p50Ms: percentile(Array.from(sorted), 50),
    p99Ms: percentile(Array.from(sorted), 99),
    meanMs: latenciesMs.length > 0 ? sum / latenciesMs.length : 0,
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
    autocannonP50Ms: r.latency.p50,
    autocannonP99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    serverCores,
    loadGenCores,
    otherCores: machineCores === undefined ? undefined : Math.max(0, machineCores - serverCores - loadGenCores),
    serverLoopDelayP99Ms: after.loopDelayP99Ms,
    serverLoopDelayMaxMs: after.loopDelayMaxMs,
  };
}

/** Field-by-field median of several runs (each figure's own median, as is usual for rounds). */
export function medianResult(results: readonly LoadResult[]): LoadResult {
  const first = results[0];
  if (!first) throw new Error('medianResult needs at least one result');
  const median = (values: number[]): number => {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  const out: Record<string, number | undefined> = {};
  for (const key of Object.keys(first) as (keyof LoadResult)[]) {
    const values = results.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
    out[key] = values.length === results.length ? median(values) : undefined;
  }
  return out as unknown as LoadResult;
}
