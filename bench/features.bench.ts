/**
 * Feature pipeline bench (issue 6, item 6). Prints figures; asserts nothing.
 *
 * 1. Assembly: the yarnit purchase feature set (examples/yarnit/feature-set.ts) over the shop's raw
 *    search events, entities ingested from the logs examples/yarnit/feature-logs.ts writes, one
 *    row per assemble() call, in process, with a SQLite and a Redis feature store, at concurrency
 *    1 and 64: calls/s, p50, p99 per call (target p99 < 2 ms at 64). Each store is measured as
 *    is ("direct": one lookup per entity per call) and through the coalescing wrapper the server
 *    uses ("as served": the lookups of one event-loop turn merged into one per entity).
 * 2. Serving: `skein serve` in a child process with the same features.json beside a purchase-shaped
 *    MLP (FP32 features [batch,16] → 32 → 1, built here), driven by autocannon at concurrency 64:
 *    POST /infer with the 16 columns precomputed (the tensor path), and POST /infer-raw with the raw
 *    fields of the same events (SQLite store, then Redis store), in one run; prints raw ÷ tensor.
 *    The version has training-stats.json, so the skew monitor's cost is included.
 *
 *   node --import tsx bench/features.bench.ts
 *
 * Env: BENCH_DURATION_S (5), BENCH_WARMUP_S (1), BENCH_CONCURRENCY (64),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379; empty skips Redis).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Options } from 'autocannon';
import { purchaseFeatureSet } from '../examples/yarnit/feature-set.js';
import { writeFeatureLogs } from '../examples/yarnit/feature-logs.js';
import { createGraphBuilder, floatAttr } from '../src/builder/index.js';
import {
  compileFeatureSet, createCoalescingStore, createFeatureAssembler, createFeatureStore, featureKinds, ingestEntities, saveFeatureSet, TRAINING_STATS_FILE,
  type FeatureStore,
} from '../src/features/index.js';
import { summarize } from '../src/monitoring/index.js';
import { seededRandom } from '../src/util/index.js';
import { busyCores, readCpuTicks } from './lib/machine-load.js';
import { deleteRedisPrefix, envNumber, processCpuS, startBenchChild, stopBenchChild, type BenchChild } from './lib/processes.js';

const MODEL = 'purchase';
const WIDTH = 16;
const HIDDEN = 32;
const BODIES = 2000;
const TARGET_P99_MS = 2;
const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (v: number | undefined, digits = 2): string => (v === undefined ? '—' : v.toFixed(digits));

/** FP32 features [batch,16] → Gemm+Relu 32 → Gemm 1 → Sigmoid probability [batch,1], fixed seeded weights. */
function purchaseModel(): Uint8Array {
  const random = seededRandom(5);
  const w = (rows: number, cols: number): Float32Array => Float32Array.from({ length: rows * cols }, () => (random() * 2 - 1) * Math.sqrt(2 / cols));
  return createGraphBuilder({ name: 'purchase_bench' })
    .input('features', 'FP32', ['batch', WIDTH])
    .initializer('w0', 'FP32', [HIDDEN, WIDTH], w(HIDDEN, WIDTH))
    .initializer('b0', 'FP32', [HIDDEN], new Float32Array(HIDDEN).fill(0.01))
    .node('Gemm', ['features', 'w0', 'b0'], ['h0'], { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) })
    .node('Relu', ['h0'], ['r0'])
    .initializer('w1', 'FP32', [1, HIDDEN], w(1, HIDDEN))
    .initializer('b1', 'FP32', [1], new Float32Array([0]))
    .node('Gemm', ['r0', 'w1', 'b1'], ['logit'], { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) })
    .node('Sigmoid', ['logit'], ['probability'])
    .output('probability', 'FP32', ['batch', 1])
    .toBytes();
}

async function ingest(store: FeatureStore, logs: { users: string; products: string }): Promise<void> {
  await ingestEntities({ store, entity: 'user', file: logs.users, idField: 'user_id', timeField: 'updated_at' });
  await ingestEntities({ store, entity: 'product', file: logs.products, idField: 'product_id', timeField: 'updated_at' });
}

interface AssemblyRow {
  store: string;
  concurrency: number;
  callsPerS: number;
  p50Ms: number;
  p99Ms: number;
  otherCores: number | undefined;
}

/** `concurrency` loops calling assemble([one event]) for durationS; the latency of each call. */
async function measureAssembly(store: FeatureStore, name: string, events: readonly Record<string, unknown>[], concurrency: number, durationS: number): Promise<AssemblyRow> {
  const assembler = createFeatureAssembler({ spec: purchaseFeatureSet, store });
  for (let i = 0; i < 500; i++) await assembler.assemble([events[i % events.length]!]);
  const latencies: number[] = [];
  let next = 0;
  const ticks = readCpuTicks();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const endAt = started + durationS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < endAt) {
      const row = events[next++ % events.length]!;
      const t = performance.now();
      await assembler.assemble([row]);
      latencies.push(performance.now() - t);
    }
  }));
  const elapsedS = (performance.now() - started) / 1000;
  const own = process.cpuUsage(cpu);
  const machine = busyCores(ticks, readCpuTicks());
  const sorted = Float64Array.from(latencies).sort();
  return {
    store: name, concurrency, callsPerS: latencies.length / elapsedS, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
    otherCores: machine === undefined ? undefined : Math.max(0, machine - (own.user + own.system) / 1e6 / elapsedS),
  };
}

type Child = BenchChild;

const startServe = (repo: string, featureStore: string): Promise<Child> => startBenchChild('skein serve', [cli, 'serve', '--model-repository', repo,
  '--host', '127.0.0.1', '--grpc-port', '-1', '--log-level', 'warn', '--feature-store', featureStore], (port) => ['--http-port', String(port)]);
const stopServe = stopBenchChild;
const deletePrefix = deleteRedisPrefix;

interface ServeRow {
  mode: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  serverCores: number | undefined;
  otherCores: number | undefined;
}

async function fire(url: string, bodies: readonly string[], connections: number, durationS: number): Promise<{ latenciesMs: number[]; non2xx: number; errors: number }> {
  let next = 0;
  const latenciesMs: number[] = [];
  const options: Options & { requests: object[] } = {
    url, method: 'POST', headers: { 'content-type': 'application/json' }, connections, pipelining: 1, duration: durationS, timeout: 10,
    requests: [{ setupRequest: (req: object) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  };
  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
  });
  const result = await instance;
  return { latenciesMs, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

async function measureServe(mode: string, child: Child, path: string, bodies: readonly string[], o: { connections: number; durationS: number; warmupS: number }): Promise<ServeRow> {
  const url = `${child.url}${path}`;
  if (o.warmupS > 0) await fire(url, bodies, o.connections, o.warmupS);
  const pid = child.process.pid;
  const [serverBefore, ticks, cpu] = [processCpuS(pid), readCpuTicks(), process.cpuUsage()];
  const started = performance.now();
  const { latenciesMs, non2xx, errors } = await fire(url, bodies, o.connections, o.durationS);
  const elapsedS = (performance.now() - started) / 1000;
  const serverAfter = processCpuS(pid);
  const serverCores = serverAfter === undefined || serverBefore === undefined ? undefined : (serverAfter - serverBefore) / elapsedS;
  const own = process.cpuUsage(cpu);
  const machine = busyCores(ticks, readCpuTicks());
  const sorted = Float64Array.from(latenciesMs).sort();
  const row: ServeRow = {
    mode, rps: latenciesMs.length / elapsedS, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), non2xx, errors, serverCores,
    otherCores: machine === undefined || serverCores === undefined ? undefined : Math.max(0, machine - serverCores - (own.user + own.system) / 1e6 / elapsedS),
  };
  process.stdout.write(`  ${mode}: ${Math.round(row.rps)} rps, p99 ${row.p99Ms.toFixed(2)} ms\n`);
  return row;
}

/** One raw and one tensor request must give the same probability before anything is measured. */
async function checkParity(child: Child, rawBody: string, tensorBody: string): Promise<void> {
  const post = async (path: string, body: string): Promise<{ outputs: { data: number[] }[] }> => {
    const res = await fetch(`${child.url}/v2/models/${MODEL}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { outputs: { data: number[] }[] };
  };
  const [raw, tensor] = [await post('/infer-raw', rawBody), await post('/infer', tensorBody)];
  if (raw.outputs[0]!.data[0] !== tensor.outputs[0]!.data[0]) throw new Error('infer-raw and infer disagree on the same event');
}

async function prepareRepo(dir: string, sqlite: FeatureStore, events: readonly Record<string, unknown>[]): Promise<string> {
  const repo = join(dir, 'repo');
  const versionDir = join(repo, MODEL, '1');
  await mkdir(versionDir, { recursive: true });
  await writeFile(join(versionDir, 'model.onnx'), purchaseModel());
  await saveFeatureSet(versionDir, purchaseFeatureSet);
  const { vectors } = await createFeatureAssembler({ spec: purchaseFeatureSet, store: sqlite, maxRows: events.length }).assemble(events);
  await writeFile(join(versionDir, TRAINING_STATS_FILE), JSON.stringify(summarize(featureKinds(compileFeatureSet(purchaseFeatureSet)), vectors, { seed: 1 })));
  return repo;
}

function printAssembly(rows: readonly AssemblyRow[]): void {
  const lines = ['| store | concurrency | assemblies/s | p50 ms | p99 ms | p99 < 2 ms | other cores |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const verdict = r.concurrency === 64 ? (r.p99Ms < TARGET_P99_MS ? 'PASS' : 'MISS') : '—';
    lines.push(`| ${r.store} | ${r.concurrency} | ${Math.round(r.callsPerS).toLocaleString('en-US')} | ${fmt(r.p50Ms, 3)} | ${fmt(r.p99Ms, 3)} | ${verdict} | ${fmt(r.otherCores)} |`);
  }
  process.stdout.write(`\nFeature assembly (one row per call, in process)\n${lines.join('\n')}\n`);
}

function printServe(rows: readonly ServeRow[]): void {
  const tensors = rows.filter((r) => r.mode.startsWith('/infer '));
  const tensorRps = tensors.reduce((s, r) => s + r.rps, 0) / Math.max(1, tensors.length);
  const lines = ['| mode | rps | p50 ms | p99 ms | rps ÷ tensor path | server cores | other cores | non-2xx | errors |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.mode} | ${Math.round(r.rps).toLocaleString('en-US')} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.rps / tensorRps)} | ${fmt(r.serverCores)} | ${fmt(r.otherCores)} | ${r.non2xx} | ${r.errors} |`);
  }
  process.stdout.write(`\nServing (skein serve, one row per request; the tensor figure is the mean of its two runs)\n${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const durationS = envNumber('BENCH_DURATION_S', 5);
  const warmupS = envNumber('BENCH_WARMUP_S', 1);
  const connections = envNumber('BENCH_CONCURRENCY', 64);
  const redisBase = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `skein-features-bench-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'skein-features-bench-'));
  const sqlitePath = join(dir, 'features.db');
  const stores: FeatureStore[] = [];
  const children = new Set<Child>();
  try {
    process.stdout.write(`Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}\n`);
    const logs = await writeFeatureLogs(join(dir, 'logs'));
    const events = readFileSync(logs.events, 'utf8').trim().split('\n').map((l) => {
      const { purchased: _label, ...raw } = JSON.parse(l) as Record<string, unknown>;
      return raw;
    });
    const sqlite = createFeatureStore({ url: sqlitePath });
    stores.push(sqlite);
    await ingest(sqlite, logs);
    const redis = redisBase ? createFeatureStore({ url: redisBase, keyPrefix: prefix }) : undefined;
    if (redis) {
      stores.push(redis);
      await ingest(redis, logs);
    }
    process.stdout.write(`${events.length.toLocaleString('en-US')} events; assembly ${durationS} s per run\n`);
    const assembly: AssemblyRow[] = [];
    for (const [name, store] of [['SQLite', sqlite], ...(redis ? [['Redis', redis] as const] : [])] as const) {
      for (const c of [1, 64]) assembly.push(await measureAssembly(store, `${name}, direct`, events, c, durationS));
      // What the server does (createFeatureServing): one lookup per entity per event-loop turn.
      for (const c of [1, 64]) assembly.push(await measureAssembly(createCoalescingStore(store), `${name}, coalesced (as served)`, events, c, durationS));
    }
    printAssembly(assembly);

    const sample = events.slice(0, BODIES);
    const repo = await prepareRepo(dir, sqlite, events.slice(0, 5000));
    const assembled = await createFeatureAssembler({ spec: purchaseFeatureSet, store: sqlite, maxRows: BODIES }).assemble(sample);
    const columns = assembled.tensors[0]!.data as Float32Array;
    const tensorBodies = sample.map((_, i) => JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, WIDTH], data: [...columns.subarray(i * WIDTH, (i + 1) * WIDTH)] }] }));
    const rawBodies = sample.map((raw) => JSON.stringify({ raw }));
    const opts = { connections, durationS, warmupS };
    process.stdout.write(`\nc=${connections}, ${durationS} s per run after ${warmupS} s warmup\n`);
    const serve: ServeRow[] = [];
    const child = await startServe(repo, sqlitePath);
    children.add(child);
    await checkParity(child, rawBodies[0]!, tensorBodies[0]!);
    serve.push(await measureServe('/infer (tensors, first)', child, `/v2/models/${MODEL}/infer`, tensorBodies, opts));
    serve.push(await measureServe('/infer-raw (SQLite store)', child, `/v2/models/${MODEL}/infer-raw`, rawBodies, opts));
    serve.push(await measureServe('/infer (tensors, last)', child, `/v2/models/${MODEL}/infer`, tensorBodies, opts));
    await stopServe(child);
    children.delete(child);
    if (redis) {
      const redisChild = await startServe(repo, `${redisBase.replace(/\/$/, '')}/?prefix=${prefix}`);
      children.add(redisChild);
      await checkParity(redisChild, rawBodies[0]!, tensorBodies[0]!);
      serve.push(await measureServe('/infer-raw (Redis store)', redisChild, `/v2/models/${MODEL}/infer-raw`, rawBodies, opts));
      await stopServe(redisChild);
      children.delete(redisChild);
    }
    printServe(serve);
  } finally {
    for (const child of children) await stopServe(child);
    for (const store of stores) await store.close();
    if (redisBase) process.stdout.write(`\nRemoved ${await deletePrefix(redisBase, prefix)} Redis keys under ${prefix}\n`);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
