/**
 * Lookup bench (issue 5, item 8): `skein lookup` over HTTP against a fastify 5 server that answers
 * every `GET /v2/predictions/:set/:key` with one constant body of the same shape. Modes: SQLite
 * store, Redis store, memory. Keys are drawn at random from the published set, 10% misses (which
 * answer the set's default with 200). Target: rps ≥ 0.7× the constant server's.
 *
 *   node --import tsx bench/lookup.bench.ts
 *
 * Env: BENCH_SKEIN (dist: the compiled CLI; default the sources through tsx), BENCH_DURATION_S (5), BENCH_WARMUP_S (1), BENCH_CONCURRENCY (64), BENCH_KEYS (100000),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379; empty skips Redis). The constant server runs before
 * and after the Skein modes; its figure is the mean of both, so drift shows instead of hiding.
 * `skein lookup` runs with --log-level warn: at info, fastify logs two lines per request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Options, type Result } from 'autocannon';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createPredictionStore } from '../src/offline/index.js';
import { busyCores, readCpuTicks } from './lib/machine-load.js';
import { deleteRedisPrefix, envNumber, processCpuS, startBenchChild, stopBenchChild, type BenchChild } from './lib/processes.js';

const SET = 'purchase';
const HIT_VALUE = (i: number): { probability: number[] } => ({ probability: [(i % 1000) / 1000] });
const DEFAULT_VALUE = { probability: [0.01] };
const CHUNK_ROWS = 5_000;
const MISS_FRACTION = 0.1;
const TARGET_RATIO = 0.7;
const NOISE_LIMIT_CORES = 0.25;

/** The child mode: fastify 5, one route, one precomputed body (no store, no lookup). */
async function serveConstant(port: number): Promise<void> {
  const body = JSON.stringify({ set: SET, model_name: SET, model_version: '1', run_id: 'r1', key: 'u1', value: HIT_VALUE(1), default: false });
  const app = Fastify({ logger: false });
  app.get('/v2/health/ready', async () => ({ ready: true }));
  app.get('/v2/predictions/:set/:key', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

async function buildSet(url: string, keys: number): Promise<void> {
  const store = await createPredictionStore(url);
  try {
    await store.beginRun({ set: SET, runId: 'r1', model: SET, version: '1', defaultValue: DEFAULT_VALUE });
    for (let start = 0, chunk = 0; start < keys; start += CHUNK_ROWS, chunk++) {
      const rows = [];
      for (let i = start; i < Math.min(keys, start + CHUNK_ROWS); i++) rows.push({ key: `u${i}`, value: HIT_VALUE(i) });
      await store.writeChunk(SET, 'r1', chunk, rows, 0);
    }
    await store.completeRun(SET, 'r1');
    await store.setGateResult(SET, 'r1', true, { checks: [] });
    await store.publish(SET, 'r1');
  } finally {
    await store.close();
  }
}

async function redisPid(redisUrl: string): Promise<number | undefined> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || undefined;
  } finally {
    redis.disconnect();
  }
}

type Child = BenchChild;

const startChild = (name: string, args: string[]): Promise<Child> =>
  startBenchChild(name, args, (port) => (args[0] === here ? [String(port)] : ['--http-port', String(port)]));
const stopChild = stopBenchChild;
const deletePrefix = deleteRedisPrefix;

/** Fails the bench early when a hit or a miss does not answer what was published. */
async function checkAnswers(child: Child, keys: number): Promise<void> {
  if (child.name.startsWith('constant')) return;
  const hitKey = `u${keys - 1}`;
  const hit = (await (await fetch(`${child.url}/v2/predictions/${SET}/${hitKey}`)).json()) as { value: unknown; default: boolean };
  const miss = (await (await fetch(`${child.url}/v2/predictions/${SET}/m1`)).json()) as { value: unknown; default: boolean };
  const ok = JSON.stringify(hit.value) === JSON.stringify(HIT_VALUE(keys - 1)) && !hit.default && miss.default
    && JSON.stringify(miss.value) === JSON.stringify(DEFAULT_VALUE);
  if (!ok) throw new Error(`${child.name} answered a hit or a miss wrongly`);
}

interface Measured {
  mode: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  serverCores: number | undefined;
  redisCores: number | undefined;
  otherCores: number | undefined;
}

function randomPath(keys: number): string {
  const r = Math.random();
  return r < MISS_FRACTION ? `/v2/predictions/${SET}/m${Math.floor(r * 1e9)}` : `/v2/predictions/${SET}/u${Math.floor(Math.random() * keys)}`;
}

async function fire(url: string, connections: number, durationS: number, keys: number): Promise<{ result: Result; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  // autocannon.d.ts declares the slice the other benches use; `requests` is passed through as is.
  const options: Options & { requests: object[] } = {
    url, method: 'GET', connections, pipelining: 1, duration: durationS, timeout: 10,
    requests: [{ setupRequest: (req: object) => ({ ...req, path: randomPath(keys) }) }],
  };
  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
  });
  return { result: await instance, latenciesMs };
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const delta = (after: number | undefined, before: number | undefined, s: number): number | undefined =>
  after === undefined || before === undefined ? undefined : (after - before) / s;

async function measure(mode: string, child: Child, opts: { connections: number; durationS: number; warmupS: number; keys: number; redisPid: number | undefined }): Promise<Measured> {
  await checkAnswers(child, opts.keys);
  if (opts.warmupS > 0) await fire(child.url, opts.connections, opts.warmupS, opts.keys);
  const pid = child.process.pid;
  const [serverBefore, redisBefore, ticksBefore, genBefore] = [processCpuS(pid), processCpuS(opts.redisPid), readCpuTicks(), process.cpuUsage()];
  const startedMs = performance.now();
  const { result, latenciesMs } = await fire(child.url, opts.connections, opts.durationS, opts.keys);
  const elapsedS = (performance.now() - startedMs) / 1000;
  const gen = process.cpuUsage(genBefore);
  const machine = busyCores(ticksBefore, readCpuTicks());
  const serverCores = delta(processCpuS(pid), serverBefore, elapsedS);
  const redisCores = delta(processCpuS(opts.redisPid), redisBefore, elapsedS);
  const genCores = (gen.user + gen.system) / 1e6 / elapsedS;
  const sorted = Float64Array.from(latenciesMs).sort();
  const measured: Measured = {
    mode, rps: latenciesMs.length / elapsedS, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
    non2xx: result.non2xx, errors: result.errors + result.timeouts, serverCores, redisCores: mode.includes('redis') ? redisCores : undefined,
    otherCores: machine === undefined || serverCores === undefined ? undefined : Math.max(0, machine - serverCores - genCores - (redisCores ?? 0)),
  };
  process.stdout.write(`  ${mode}: ${Math.round(measured.rps)} rps, p99 ${measured.p99Ms.toFixed(2)} ms\n`);
  return measured;
}

const fmt = (v: number | undefined, digits = 2): string => (v === undefined ? '—' : v.toFixed(digits));

function printTable(rows: Measured[], constantRps: number): void {
  const lines = [
    '| mode | rps | p50 ms | p99 ms | rps ratio vs constant | ≥ 0.7× | server cores | redis cores | other cores | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const isConstant = r.mode.startsWith('constant');
    const ratio = r.rps / constantRps;
    const verdict = isConstant ? '—' : ratio >= TARGET_RATIO ? 'PASS' : 'MISS';
    lines.push(`| ${r.mode} | ${Math.round(r.rps).toLocaleString('en-US')} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(ratio)} | ${verdict} | ${fmt(r.serverCores)} | ${fmt(r.redisCores)} | ${fmt(r.otherCores)} | ${r.non2xx} | ${r.errors} |`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  const noisy = rows.filter((r) => (r.otherCores ?? 0) > NOISE_LIMIT_CORES);
  if (noisy.length > 0) {
    process.stdout.write(`\nWARNING: other processes used > ${NOISE_LIMIT_CORES} cores during ${noisy.map((r) => r.mode).join(', ')}; these figures are not worth quoting.\n`);
  }
}

const here = fileURLToPath(import.meta.url);
// BENCH_SKEIN=dist runs the compiled CLI (`npm run build` first), as users run `skein lookup`.
const cli = fileURLToPath(new URL(process.env.BENCH_SKEIN === 'dist' ? '../dist/src/cli/main.js' : '../src/cli/main.ts', import.meta.url));

async function main(): Promise<void> {
  const durationS = envNumber('BENCH_DURATION_S', 5);
  const warmupS = envNumber('BENCH_WARMUP_S', 1);
  const connections = envNumber('BENCH_CONCURRENCY', 64);
  const keys = envNumber('BENCH_KEYS', 100_000);
  const redisBase = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `skein-bench-${process.pid}`;
  const redisUrl = `${redisBase}/?prefix=${prefix}`;
  const dir = await mkdtemp(join(tmpdir(), 'skein-lookup-bench-'));
  const sqliteUrl = `sqlite://${join(dir, 'p.db')}`;
  const children = new Set<Child>();
  const rows: Measured[] = [];
  let pid: number | undefined;
  const lookupArgs = (store: string, mode: string): string[] =>
    [cli, 'lookup', '--store', store, '--mode', mode, '--host', '127.0.0.1', '--log-level', 'warn'];
  const run = async (mode: string, args: string[]): Promise<void> => {
    const child = await startChild(mode, args);
    children.add(child);
    try {
      rows.push(await measure(mode, child, { connections, durationS, warmupS, keys, redisPid: pid }));
    } finally {
      await stopChild(child);
      children.delete(child);
    }
  };
  try {
    process.stdout.write(`Building ${keys.toLocaleString('en-US')} keys in SQLite${redisBase ? ' and Redis' : ''}…\n`);
    await buildSet(sqliteUrl, keys);
    if (redisBase) {
      await buildSet(redisUrl, keys);
      pid = await redisPid(redisBase);
    }
    process.stdout.write(`c=${connections}, ${durationS} s per run after ${warmupS} s warmup, ${MISS_FRACTION * 100}% misses\n`);
    await run('constant (first)', [here, 'constant-server']);
    await run('sqlite store', lookupArgs(sqliteUrl, 'store'));
    if (redisBase) await run('redis store', lookupArgs(redisUrl, 'store'));
    await run('sqlite memory', lookupArgs(sqliteUrl, 'memory'));
    await run('constant (last)', [here, 'constant-server']);
    const constants = rows.filter((r) => r.mode.startsWith('constant'));
    printTable(rows, constants.reduce((sum, r) => sum + r.rps, 0) / constants.length);
  } finally {
    for (const child of children) await stopChild(child);
    if (redisBase) process.stdout.write(`\nRemoved ${await deletePrefix(redisBase, prefix)} Redis keys under ${prefix}\n`);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'constant-server') {
  await serveConstant(Number(process.argv[3]));
} else {
  await main();
}
