/**
 * Probe: where the CPU of one feature assembly goes. The setup of bench/features.bench.ts (the
 * yarnit purchase feature set, the shop's raw events, the user and product entities ingested from
 * the logs examples/yarnit/feature-logs.ts writes), then a closed loop of `concurrency` callers,
 * each calling assemble([one event]) as soon as its last call returned, for `seconds`. Prints
 * calls/s, p50/p99/max, CPU µs per call and the GC pauses. PROFILE=1 adds a CPU profile of the
 * measured window only (setup and ingest left out): self time by origin and the top functions;
 * PROFILE=alloc the bytes allocated per function instead; PROFILE=promoted only the objects that
 * outlived a young collection (what makes the old generation grow, and full collections come).
 * Timings are indicative on a shared machine; CPU per call and profile shares are what to compare.
 *
 *   node --import tsx bench/probes/assembly-profile.ts [redis|sqlite] [served|direct] [seconds=5] [concurrency=64]
 *   PROFILE=1 node --import tsx bench/probes/assembly-profile.ts redis served
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/probes/assembly-profile.ts   (whole process)
 *
 * It first prints a digest of the tensors and vectors of the first DIGEST_ROWS events, assembled one
 * per call: two versions of the code that print the same digest give the same results.
 *
 * IMPL=/path/to/module.ts measures that module's createFeatureAssembler (and its createFeatureStore
 * and createCoalescingStore, when it exports them) instead of the current ones.
 * AB_BASELINE=/path/to/module.ts runs an A/B instead: that module's implementation against the
 * current one, each over its own store on the same data, in alternating rounds of
 * `seconds` / AB_ROUNDS (default 6), with each side's digest first. A baseline: a copy of an older
 * src/features (git show) in a directory whose other src/ areas and node_modules are symlinks to
 * this checkout's, and a module there that re-exports those three functions.
 *
 * Env: BENCH_REDIS_URL (redis://127.0.0.1:6379). Keys go under a prefix of this process and are
 * deleted at the end.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { purchaseFeatureSet } from '../../examples/yarnit/feature-set.js';
import { writeFeatureLogs } from '../../examples/yarnit/feature-logs.js';
import {
  createCoalescingStore, createFeatureAssembler, createFeatureStore, ingestEntities, type FeatureAssembler, type FeatureStore,
} from '../../src/features/index.js';
import { deleteRedisPrefix } from '../lib/processes.js';
import { summarizeCpuProfile, type CpuProfile } from '../lib/cpu-profile.js';

const DIGEST_ROWS = 2000;
const WARMUP_CALLS = 2000;
const TOP = 25;

type Assemble = FeatureAssembler['assemble'];
/** What an A/B baseline module exports: its assembler and, optionally, its own stores. */
interface Implementation {
  createFeatureAssembler(options: { spec: unknown; store: FeatureStore }): FeatureAssembler;
  createFeatureStore?: typeof createFeatureStore;
  createCoalescingStore?: typeof createCoalescingStore;
}

interface StoreSetup {
  kind: 'redis' | 'sqlite';
  mode: 'served' | 'direct';
  redisUrl: string;
  prefix: string;
  sqlitePath: string;
}

interface Window {
  calls: number;
  elapsedS: number;
  cpuS: number;
  gcMs: number;
  /** GC pauses: how many, and the longest (ms). */
  gcPauses: number;
  gcMaxMs: number;
  latenciesMs: number[];
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** GC pause time (ms), pauses and the longest one while `run` runs. */
async function withGcTime<T>(run: () => Promise<T>): Promise<{ result: T; gcMs: number; gcPauses: number; gcMaxMs: number }> {
  let gcMs = 0;
  let gcPauses = 0;
  let gcMaxMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcPauses++;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const result = await run();
    // GC entries are delivered asynchronously; one turn lets the last ones in.
    await new Promise((resolve) => setImmediate(resolve));
    return { result, gcMs, gcPauses, gcMaxMs };
  } finally {
    observer.disconnect();
  }
}

/** `concurrency` callers, each starting its next call when its last returned, for durationS. */
async function closedLoop(assemble: Assemble, events: readonly Record<string, unknown>[], concurrency: number, durationS: number): Promise<Window> {
  const latenciesMs: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const endAt = started + durationS * 1000;
  const { gcMs, gcPauses, gcMaxMs } = await withGcTime(() => Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < endAt) {
      const row = events[next++ % events.length]!;
      const t = performance.now();
      await assemble([row]);
      latenciesMs.push(performance.now() - t);
    }
  })));
  const used = process.cpuUsage(cpu);
  return { calls: latenciesMs.length, elapsedS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6, gcMs, gcPauses, gcMaxMs, latenciesMs };
}

function describeWindow(label: string, w: Window): string {
  const sorted = Float64Array.from(w.latenciesMs).sort();
  return `${label}: ${Math.round(w.calls / w.elapsedS).toLocaleString('en-US')} calls/s, p50 ${percentile(sorted, 50).toFixed(3)} ms, `
    + `p99 ${percentile(sorted, 99).toFixed(3)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms, CPU ${((w.cpuS * 1e6) / w.calls).toFixed(1)} µs/call `
    + `(${(w.cpuS / w.elapsedS).toFixed(2)} cores), GC ${((100 * w.gcMs) / (w.elapsedS * 1000)).toFixed(1)}% of wall time `
    + `(${w.gcPauses} pauses, longest ${w.gcMaxMs.toFixed(2)} ms)`;
}

/** sha256 of the tensors and vectors of `events`, one assemble() call each. */
async function digestOf(assemble: Assemble, events: readonly Record<string, unknown>[]): Promise<string> {
  const hash = createHash('sha256');
  for (const event of events) {
    const out = await assemble([event]);
    for (const t of out.tensors) {
      hash.update(`${t.name} ${t.datatype} ${t.shape.join('x')}\n`);
      hash.update(t.data instanceof Float32Array ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : JSON.stringify(t.data));
    }
    hash.update(JSON.stringify(out.vectors));
    hash.update(`missing ${out.missing}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

async function profiled<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const result = await run();
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    return { result, lines: summarizeCpuProfile(profile, TOP) };
  } finally {
    session.disconnect();
  }
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Bytes allocated by each function (self), short-lived objects included. */
function summarizeAllocations(root: SamplingNode): string[] {
  const selfBytes = new Map<string, number>();
  let total = 0;
  const visit = (n: SamplingNode): void => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/)?/, '$1')}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    selfBytes.set(key, (selfBytes.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) visit(c);
  };
  visit(root);
  return [
    `allocations: ${(total / 1e6).toFixed(0)} MB sampled; top functions (self bytes):`,
    ...[...selfBytes].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`),
  ];
}

/** With `survivors`, only objects that outlived a scavenge (promoted to the old generation). */
async function allocationProfiled<T>(run: () => Promise<T>, survivors = false): Promise<{ result: T; lines: string[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors });
    const result = await run();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
    return { result, lines: summarizeAllocations(profile.head) };
  } finally {
    session.disconnect();
  }
}

async function ingest(store: FeatureStore, logs: { users: string; products: string }): Promise<void> {
  await ingestEntities({ store, entity: 'user', file: logs.users, idField: 'user_id', timeField: 'updated_at' });
  await ingestEntities({ store, entity: 'product', file: logs.products, idField: 'product_id', timeField: 'updated_at' });
}

async function warm(assemble: Assemble, events: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < WARMUP_CALLS; i++) await assemble([events[i % events.length]!]);
  await closedLoop(assemble, events, 64, 0.5);
}

/** The store of `setup` (the same data) as `impl` opens it: its own connection or file handle. */
function openStore(impl: Implementation, setup: StoreSetup): { base: FeatureStore; store: FeatureStore } {
  const open = impl.createFeatureStore ?? createFeatureStore;
  const coalesce = impl.createCoalescingStore ?? createCoalescingStore;
  const base = setup.kind === 'redis' ? open({ url: setup.redisUrl, keyPrefix: setup.prefix }) : open({ url: setup.sqlitePath });
  return { base, store: setup.mode === 'served' ? coalesce(base) : base };
}

async function abRun(baselinePath: string, setup: StoreSetup, events: readonly Record<string, unknown>[], concurrency: number, durationS: number): Promise<void> {
  const current: Implementation = { createFeatureAssembler, createFeatureStore, createCoalescingStore };
  const impls = [['baseline', (await import(baselinePath)) as Implementation], ['current ', current]] as const;
  const sides = impls.map(([name, impl]) => {
    const { base, store } = openStore(impl, setup);
    return { name, base, assemble: impl.createFeatureAssembler({ spec: purchaseFeatureSet, store }).assemble, windows: [] as Window[] };
  });
  try {
    await abRounds(sides, events, concurrency, durationS);
  } finally {
    for (const s of sides) await s.base.close();
  }
}

async function abRounds(sides: { name: string; assemble: Assemble; windows: Window[] }[], events: readonly Record<string, unknown>[], concurrency: number, durationS: number): Promise<void> {
  const digests = await Promise.all(sides.map((s) => digestOf(s.assemble, events.slice(0, DIGEST_ROWS))));
  process.stdout.write(`digests: baseline ${digests[0]}, current ${digests[1]}${digests[0] === digests[1] ? ' (same results)' : ' (RESULTS DIFFER)'}\n`);
  for (const s of sides) await warm(s.assemble, events);
  const rounds = Number(process.env.AB_ROUNDS ?? 6);
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so a drift in machine load hits both alike.
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const w = await closedLoop(s.assemble, events, concurrency, durationS / rounds);
      s.windows.push(w);
      process.stdout.write(`  round ${r + 1} ${describeWindow(s.name, w)}\n`);
    }
  }
  for (const s of sides) {
    const all: Window = {
      calls: s.windows.reduce((a, w) => a + w.calls, 0), elapsedS: s.windows.reduce((a, w) => a + w.elapsedS, 0),
      cpuS: s.windows.reduce((a, w) => a + w.cpuS, 0), gcMs: s.windows.reduce((a, w) => a + w.gcMs, 0),
      gcPauses: s.windows.reduce((a, w) => a + w.gcPauses, 0), gcMaxMs: Math.max(...s.windows.map((w) => w.gcMaxMs)), latenciesMs: s.windows.flatMap((w) => w.latenciesMs),
    };
    const perCall = s.windows.map((w) => ((w.cpuS * 1e6) / w.calls).toFixed(1)).join(' ');
    process.stdout.write(`${describeWindow(s.name, all)}\n  CPU µs/call by round: ${perCall}\n`);
  }
}

async function main(): Promise<void> {
  const storeKind = (process.argv[2] ?? 'redis') as StoreSetup['kind'];
  const mode = (process.argv[3] ?? 'served') as StoreSetup['mode'];
  const durationS = Number(process.argv[4] ?? 5);
  const concurrency = Number(process.argv[5] ?? 64);
  if (!['redis', 'sqlite'].includes(storeKind) || !['served', 'direct'].includes(mode) || !(durationS > 0) || !(concurrency >= 1)) {
    throw new Error('usage: assembly-profile.ts [redis|sqlite] [served|direct] [seconds>0] [concurrency>=1]');
  }
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  const prefix = `skein-assembly-profile-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'skein-assembly-profile-'));
  let base: FeatureStore | undefined;
  try {
    const logs = await writeFeatureLogs(join(dir, 'logs'));
    const events = readFileSync(logs.events, 'utf8').trim().split('\n').map((l) => {
      const { purchased: _label, ...raw } = JSON.parse(l) as Record<string, unknown>;
      return raw;
    });
    const setup: StoreSetup = { kind: storeKind, mode, redisUrl, prefix, sqlitePath: join(dir, 'features.db') };
    const impl: Implementation = process.env.IMPL ? ((await import(process.env.IMPL)) as Implementation) : { createFeatureAssembler, createFeatureStore, createCoalescingStore };
    const opened = openStore(impl, setup);
    base = opened.base;
    await ingest(base, logs);
    process.stdout.write(`${events.length.toLocaleString('en-US')} events; ${storeKind}, ${mode}, c=${concurrency}, ${durationS} s\n`);
    if (process.env.AB_BASELINE) {
      await abRun(process.env.AB_BASELINE, setup, events, concurrency, durationS);
      return;
    }
    const { assemble } = impl.createFeatureAssembler({ spec: purchaseFeatureSet, store: opened.store });
    process.stdout.write(`digest of the first ${DIGEST_ROWS} rows: ${await digestOf(assemble, events.slice(0, DIGEST_ROWS))}\n`);
    await warm(assemble, events);
    if (process.env.PROFILE === '1' || process.env.PROFILE === 'alloc' || process.env.PROFILE === 'promoted') {
      const profile = process.env.PROFILE === '1' ? profiled
        : <T>(run: () => Promise<T>) => allocationProfiled(run, process.env.PROFILE === 'promoted');
      const { result, lines } = await profile(() => closedLoop(assemble, events, concurrency, durationS));
      process.stdout.write(`${describeWindow('measured', result)}\n${lines.join('\n')}\n`);
    } else {
      process.stdout.write(`${describeWindow('measured', await closedLoop(assemble, events, concurrency, durationS))}\n`);
    }
  } finally {
    await base?.close();
    if (storeKind === 'redis') process.stdout.write(`removed ${await deleteRedisPrefix(redisUrl, prefix)} Redis keys under ${prefix}\n`);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
