/**
 * Scenario 1: 50 version swaps in 60 s at half the cap, over REST.
 *
 *   node --import tsx bench/reliability/swaps.ts
 *   SWAPS=10 DURATION_S=15 STEADY_S=5 node --import tsx bench/reliability/swaps.ts   # quick
 *
 * Finds the cap first (highest open-loop rate with p99 < 50 ms on the add model), measures the
 * steady p99 at half the cap, then publishes SWAPS versions (hidden dir + rename) evenly over
 * DURATION_S while the same load runs. Version v computes y = x + v, so every reply proves which
 * version answered it. CAP_RPS skips the ramp. Exit code 0 only when every criterion passes.
 */
import { rm } from 'node:fs/promises';
import { addModel, writeModel } from '../../test/helpers/models.js';
import { tempRepo } from '../../test/helpers/server.js';
import { findCap } from './lib/cap.js';
import { ADD_BODY, ADD_INPUT_VALUE, runOpenLoop, type OpenLoopRun, type Shot } from './lib/open-loop.js';
import { publishVersion, until, versionStates } from './lib/repo.js';
import { Report, log } from './lib/report.js';
import { startBenchServer, type BenchServer, type MemoryReading } from './lib/server-child.js';
import { envNumber, fixed, formatSpread, mb, sleepMs, spreadOf } from './lib/stats.js';

const SWAPS = envNumber('SWAPS', 50);
const DURATION_S = envNumber('DURATION_S', 60);
const STEADY_S = envNumber('STEADY_S', 10);
const RAMP_STEP_MS = envNumber('RAMP_STEP_MS', 3000);
const POLL_INTERVAL_MS = 200;
const P99_BOUND_MS = 50;
const MODEL = 'add';
const PATH = `/v2/models/${MODEL}/infer`;
/** Swaps whose memory is the baseline: the allocator and V8 have settled by then. */
const BASELINE_SWAP = Math.min(5, SWAPS);
/** Longest a swap (publish → old version unloaded) may take before the bench calls it stuck. */
const SWAP_LIMIT_MS = 15_000;
const MEMORY_GROWTH_BOUND_MB = 20;

interface SwapLog {
  swapMs: number[];
  /** [publish, old version gone] of each swap, in performance.now() ms. */
  windows: [number, number][];
  baseline?: MemoryReading;
  end?: MemoryReading;
  completed: number;
  stuckAt?: number;
}

/** Publishes versions 2..SWAPS+1 evenly over the run; each waits until only the new version is listed. */
async function swapAll(server: BenchServer, repo: string, published: { version: number }, spanMs: number): Promise<SwapLog> {
  const out: SwapLog = { swapMs: [], windows: [], completed: 0 };
  const everyMs = spanMs / SWAPS;
  const startMs = performance.now();
  for (let k = 1; k <= SWAPS; k++) {
    await sleepMs(Math.max(0, startMs + (k - 0.5) * everyMs - performance.now()));
    const version = k + 1;
    const t0 = performance.now();
    await publishVersion(repo, MODEL, version, addModel(version));
    published.version = version;
    const done = await until(async () => (await versionStates(server.origin, MODEL)) === `${version}:READY`, SWAP_LIMIT_MS);
    if (!done) {
      out.stuckAt = version;
      return out;
    }
    out.swapMs.push(performance.now() - t0);
    out.windows.push([t0, performance.now()]);
    out.completed = k;
    // Both readings force a full GC (one pause of a few ms each, under load alike), so they
    // compare what the server retains; without it the young generation adds ±15 MB of noise.
    if (k === BASELINE_SWAP) out.baseline = await server.memory(true);
  }
  out.end = await server.memory(true);
  return out;
}

/** A reply is right when it is 2xx, computed by the version it names, and that version was old or new. */
function wrongReplies(shots: readonly Shot[]): { non2xx: Shot[]; mislabelled: Shot[]; outOfWindow: Shot[] } {
  const ok = shots.filter((s) => s.status >= 200 && s.status < 300);
  return {
    non2xx: shots.filter((s) => s.status < 200 || s.status >= 300),
    mislabelled: ok.filter((s) => s.firstValue !== ADD_INPUT_VALUE + Number(s.version)),
    // Old = published before the request was sent minus one; new = the latest published by its reply.
    outOfWindow: ok.filter((s) => Number(s.version) < s.tagSent - 1 || Number(s.version) > s.tagAnswered),
  };
}

/** Splits latencies into requests due while a swap was in progress and the rest, to show where the tail comes from. */
function splitBySwap(shots: readonly Shot[], windows: readonly [number, number][], loadStartMs: number): { during: number[]; between: number[] } {
  const during: number[] = [];
  const between: number[] = [];
  for (const s of shots) {
    const at = loadStartMs + s.dueMs;
    (windows.some(([a, b]) => at >= a && at <= b) ? during : between).push(s.latencyMs);
  }
  return { during, between };
}

function describeFailures(label: string, shots: readonly Shot[]): void {
  if (shots.length === 0) return;
  const codes = new Map<string, number>();
  for (const s of shots) codes.set(`${s.status} ${s.code ?? ''} v=${s.version ?? '-'}`, (codes.get(`${s.status} ${s.code ?? ''} v=${s.version ?? '-'}`) ?? 0) + 1);
  log(`${label}: ${[...codes].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
}

async function main(): Promise<void> {
  const report = new Report('scenario 1: version swaps under load (REST)');
  const repo = await tempRepo('skein-swaps-');
  await writeModel(repo, MODEL, 1, addModel(1));
  const server = await startBenchServer({ modelRepository: repo, modelControlMode: 'poll', repositoryPollIntervalMs: POLL_INTERVAL_MS, workers: 2 });
  try {
    const envCap = process.env.CAP_RPS ? envNumber('CAP_RPS', 1) : undefined;
    const capRps = envCap ?? (await findCap({ origin: server.origin, path: PATH, body: ADD_BODY, p99BoundMs: P99_BOUND_MS, startRatePerS: 200, growth: 1.5, stepMs: RAMP_STEP_MS, maxSteps: 9 })).capRps;
    if (capRps <= 0) throw new Error('no rate held p99 < 50 ms: the cap could not be found');
    const rate = capRps / 2;
    report.figure('capRps', capRps);
    log(`cap ${capRps} req/s${envCap ? ' (from CAP_RPS)' : ''}; load at half cap: ${rate} req/s`);

    // Warm sockets, JIT and sessions at the bench rate first (the ramp does it too, CAP_RPS skips it).
    await runOpenLoop({ origin: server.origin, path: PATH, body: ADD_BODY, ratePerS: rate, durationMs: 2000 });
    await server.loopDelay();
    const steady = await runOpenLoop({ origin: server.origin, path: PATH, body: ADD_BODY, ratePerS: rate, durationMs: STEADY_S * 1000 });
    const steadySpread = spreadOf(steady.shots.map((s) => s.latencyMs));
    const steadyLoop = await server.loopDelay();
    log(`steady ${STEADY_S} s: ${formatSpread(steadySpread)}; server event-loop delay p99 ${fixed(steadyLoop.p99Ms)} max ${fixed(steadyLoop.maxMs)} ms`);

    const published = { version: 1 };
    const loadStartMs = performance.now();
    const loadRun: Promise<OpenLoopRun> = runOpenLoop({ origin: server.origin, path: PATH, body: ADD_BODY, ratePerS: rate, durationMs: DURATION_S * 1000, tag: () => published.version });
    // The swaps end a second before the load does, so the last one is measured under load too.
    const swaps = await swapAll(server, repo, published, DURATION_S * 1000 - 1000);
    const run = await loadRun;
    const swapLoop = await server.loopDelay();
    const swapSpread = spreadOf(run.shots.map((s) => s.latencyMs));
    const swapTimes = spreadOf(swaps.swapMs);
    log(`during swaps: ${formatSpread(swapSpread)}; issued ${fixed(run.issuedPerS, 0)}/s; server event-loop delay p99 ${fixed(swapLoop.p99Ms)} max ${fixed(swapLoop.maxMs)} ms`);
    log(`swap time (publish → old version unloaded): ${formatSpread(swapTimes)}`);
    const split = splitBySwap(run.shots, swaps.windows, loadStartMs);
    log(`due while a swap was in progress: ${formatSpread(spreadOf(split.during))}`);
    log(`due between swaps:               ${formatSpread(spreadOf(split.between))}`);
    const wrong = wrongReplies(run.shots);
    describeFailures('non-2xx', wrong.non2xx);
    describeFailures('output does not match the version named', wrong.mislabelled);
    describeFailures('version neither old nor new', wrong.outOfWindow);
    const versionsSeen = new Set(run.shots.map((s) => s.version).filter((v) => v !== undefined)).size;

    report.check(`${SWAPS} swaps within ${DURATION_S} s`, swaps.completed === SWAPS,
      swaps.stuckAt ? `version ${swaps.stuckAt} was not the only version ${SWAP_LIMIT_MS} ms after publishing` : `${swaps.completed} swaps, ${versionsSeen} versions answered`);
    report.check('0 non-2xx', wrong.non2xx.length === 0, `${wrong.non2xx.length} of ${run.shots.length}`);
    report.check('each reply names old or new version (and that version computed it)', wrong.mislabelled.length + wrong.outOfWindow.length === 0,
      `${wrong.mislabelled.length} mislabelled, ${wrong.outOfWindow.length} outside old/new, of ${run.shots.length - wrong.non2xx.length}`);
    report.check('p99 during swaps ≤ 2× steady p99', swapSpread.p99Ms <= 2 * steadySpread.p99Ms,
      `${fixed(swapSpread.p99Ms)} ms vs steady ${fixed(steadySpread.p99Ms)} ms (×${fixed(swapSpread.p99Ms / steadySpread.p99Ms, 2)})`);
    const finalStates = await versionStates(server.origin, MODEL);
    if (swaps.baseline && swaps.end) {
      const growthMb = mb(swaps.end.rssBytes - swaps.baseline.rssBytes);
      report.check(`old versions freed (RSS after swap ${SWAPS} − after swap ${BASELINE_SWAP} < ${MEMORY_GROWTH_BOUND_MB} MB; index lists one version)`,
        growthMb < MEMORY_GROWTH_BOUND_MB && finalStates === `${SWAPS + 1}:READY`,
        `RSS ${fixed(mb(swaps.baseline.rssBytes))} → ${fixed(mb(swaps.end.rssBytes))} MB (${growthMb >= 0 ? '+' : ''}${fixed(growthMb)} MB), heap ${fixed(mb(swaps.baseline.heapUsedBytes))} → ${fixed(mb(swaps.end.heapUsedBytes))} MB; index ${finalStates}`);
      report.figure('rssGrowthMb', growthMb);
    } else {
      report.check('old versions freed', false, 'the swaps did not complete, so memory was not compared');
    }
    report.figure('steadyP99Ms', steadySpread.p99Ms);
    report.figure('swapP99Ms', swapSpread.p99Ms);
    report.figure('requests', run.shots.length);
  } catch (err) {
    report.crashed(err);
  } finally {
    const code = await server.stop();
    await rm(repo, { recursive: true, force: true });
    report.check('server exits 0 after the run', code === 0, `exit code ${code}`);
    report.finish();
  }
}

await main();
