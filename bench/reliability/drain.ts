/**
 * Scenario 11: SIGTERM at half the cap with a full queue.
 *
 *   node --import tsx bench/reliability/drain.ts
 *   CAP_RPS=400 LOAD_S=3 node --import tsx bench/reliability/drain.ts     # quick, cap known
 *
 * Runs the real `skein serve` with two models: `add` takes open-loop traffic at half the cap
 * (CAP_RPS, or found by a short ramp), and `slow` (one instance, maxBatchSize 1, maxQueueSize 8)
 * holds one running request and a full queue of 8 (a 10th gets QUEUE_FULL, which proves it
 * full). Then SIGTERM: /v2/health/ready must turn 503 at once, every request sent before the
 * signal must be answered 2xx, and the process must exit 0 within the grace period.
 */
import { rm } from 'node:fs/promises';
import { Client } from 'undici';
import { addModel, slowModel, writeModel } from '../../test/helpers/models.js';
import { tempRepo } from '../../test/helpers/server.js';
import { findCap } from './lib/cap.js';
import { metricValue, startCliServer } from './lib/cli-child.js';
import { ADD_BODY, runOpenLoop, type Shot } from './lib/open-loop.js';
import { until } from './lib/repo.js';
import { Report, log } from './lib/report.js';
import { envNumber, fixed, formatSpread, sleepMs, spreadOf } from './lib/stats.js';

const LOAD_S = envNumber('LOAD_S', 10);
const GRACE_MS = envNumber('GRACE_MS', 30_000);
const SLOW_WORK = 60;
const QUEUE_BOUND = 8;
/** "At once": the first 503 from /v2/health/ready must come this soon after the signal. */
const READY_BOUND_MS = 100;
/**
 * A request sent this close before the signal may still be unread (socket buffers, the server's
 * event loop busy): the server sees it after the drain began and answers 503 SHUTTING_DOWN, as
 * documented. Such a request was never in flight; one sent earlier and refused would be a bug.
 */
const RACE_WINDOW_MS = 50;
const SLOW_CONFIG = `maxBatchSize: 1\nbatching:\n  maxQueueSize: ${QUEUE_BOUND}\nruntime:\n  instances: 1\n`;

const slowBody = (i: number): string => JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [i, i, i, i] }] });

interface ReadyWatch {
  /** ms from the signal to the first 503, or undefined when none came. */
  first503AfterSignalMs?: number;
  polls: number;
  stop(): Promise<void>;
}

/** Polls /v2/health/ready back to back on one kept-alive connection until it sees a 503 after the signal. */
function watchReady(origin: string, signalAt: { ms?: number }): ReadyWatch {
  const client = new Client(origin, { pipelining: 1 });
  const watch: ReadyWatch = { polls: 0, stop: async () => {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await client.request({ path: '/v2/health/ready', method: 'GET' });
        await res.body.dump();
        watch.polls++;
        if (res.statusCode === 503 && signalAt.ms !== undefined) {
          watch.first503AfterSignalMs = performance.now() - signalAt.ms;
          return;
        }
      } catch {
        return;
      }
    }
  })();
  watch.stop = async () => {
    running = false;
    await loop;
    await client.close();
  };
  return watch;
}

async function sendSlow(origin: string, i: number): Promise<{ status: number; code?: string; value?: number }> {
  const res = await fetch(`${origin}/v2/models/slow/infer`, { method: 'POST', body: slowBody(i), headers: { 'content-type': 'application/json' } });
  const body = (await res.json()) as { code?: string; outputs?: { data?: number[] }[] };
  return { status: res.status, code: body.code, value: body.outputs?.[0]?.data?.[0] };
}

async function main(): Promise<void> {
  const report = new Report('scenario 11: SIGTERM at half cap with a full queue');
  const repo = await tempRepo('skein-drain-');
  await writeModel(repo, 'add', 1, addModel(1));
  await writeModel(repo, 'slow', 1, slowModel(SLOW_WORK), SLOW_CONFIG);
  const server = await startCliServer(['--model-repository', repo, '--workers', '2', '--shutdown-grace-ms', String(GRACE_MS)]);
  try {
    const envCap = process.env.CAP_RPS ? envNumber('CAP_RPS', 1) : undefined;
    const capRps = envCap ?? (await findCap({ origin: server.origin, path: '/v2/models/add/infer', body: ADD_BODY, p99BoundMs: 50, startRatePerS: 200, growth: 1.5, stepMs: 2000, maxSteps: 9 })).capRps;
    if (capRps <= 0) throw new Error('no rate held p99 < 50 ms: the cap could not be found (set CAP_RPS)');
    const rate = capRps / 2;
    log(`cap ${capRps} req/s${envCap ? ' (from CAP_RPS)' : ''}; load at half cap: ${rate} req/s`);

    const signalAt: { ms?: number } = {};
    const loadStartMs = performance.now();
    const load = runOpenLoop({ origin: server.origin, path: '/v2/models/add/infer', body: ADD_BODY, ratePerS: rate, durationMs: (LOAD_S + 60) * 1000, shouldStop: () => signalAt.ms !== undefined });
    await sleepMs(LOAD_S * 1000);
    // Polled back to back from here on (not during the load, where it would add its own load).
    const ready = watchReady(server.origin, signalAt);
    // Filled just before the signal, so it is still full when it lands: one running and
    // QUEUE_BOUND queued; one more must be refused, or the queue was not full.
    const slow = Array.from({ length: QUEUE_BOUND + 1 }, (_, i) => sendSlow(server.origin, i + 1));
    const filled = await until(async () => (await metricValue(server.origin, 'skein_inflight_requests{model="slow"')) >= QUEUE_BOUND + 1, 5000, 2);
    const overflow = await sendSlow(server.origin, 99);
    signalAt.ms = performance.now();
    server.child.kill('SIGTERM');
    log(`slow model: ${QUEUE_BOUND + 1} in flight: ${filled}; one more got ${overflow.status} ${overflow.code ?? ''}; then SIGTERM`);

    const [shots, slowReplies, exit] = await Promise.all([load.then((r) => r.shots), Promise.all(slow), server.exited]);
    await ready.stop();
    summarise(report, { shots, slowReplies, overflow, filled, ready, exitCode: exit.code, exitAfterMs: exit.atMs - signalAt.ms, signalIntoLoadMs: signalAt.ms - loadStartMs });
    report.figure('capRps', capRps);
  } catch (err) {
    report.crashed(err);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
  report.finish();
}

interface Outcome {
  shots: Shot[];
  slowReplies: { status: number; code?: string; value?: number }[];
  overflow: { status: number; code?: string };
  filled: boolean;
  ready: ReadyWatch;
  exitCode: number | null;
  exitAfterMs: number;
  /** When the signal was sent, in ms since the load started (the clock of Shot.dueMs). */
  signalIntoLoadMs: number;
}

function summarise(report: Report, o: Outcome): void {
  const addOk = o.shots.filter((s) => s.status >= 200 && s.status < 300).length;
  const slowOk = o.slowReplies.filter((r, i) => r.status === 200 && r.value === i + 1).length;
  const failed = o.shots.filter((s) => s.status < 200 || s.status >= 300);
  const gapMs = (s: Shot): number => o.signalIntoLoadMs - s.dueMs;
  const racing = failed.filter((s) => s.code === 'SHUTTING_DOWN' && gapMs(s) <= RACE_WINDOW_MS);
  if (failed.length > 0) {
    log(`not 2xx: ${failed.slice(0, 12).map((s) => `${s.status} ${s.code ?? ''} (sent ${fixed(gapMs(s))} ms before the signal)`).join('; ')}${failed.length > 12 ? '; ...' : ''}`);
  }
  log(`slow replies: ${o.slowReplies.map((r) => `${r.status}${r.code ? ` ${r.code}` : ''}`).join(', ')}`);
  log(`add replies: ${formatSpread(spreadOf(o.shots.map((s) => s.latencyMs)))}`);
  report.check('the queue was full at the signal', o.filled && o.overflow.status === 503 && o.overflow.code === 'QUEUE_FULL',
    `${o.slowReplies.length} in flight on slow; the next got ${o.overflow.status} ${o.overflow.code ?? ''}`);
  report.check(`ready → 503 at once (< ${READY_BOUND_MS} ms after the signal)`, o.ready.first503AfterSignalMs !== undefined && o.ready.first503AfterSignalMs < READY_BOUND_MS,
    o.ready.first503AfterSignalMs === undefined ? `no 503 seen (${o.ready.polls} polls)` : `${fixed(o.ready.first503AfterSignalMs, 2)} ms`);
  const sent = o.shots.length + o.slowReplies.length;
  const inFlight = sent - racing.length;
  report.check('100% of in-flight and queued requests answered 2xx', addOk + slowOk === inFlight,
    `${addOk + slowOk} of ${inFlight} (add ${addOk} at half cap, slow ${slowOk}/${o.slowReplies.length} running+queued, each its own rows); ` +
    `${racing.length} more sent < ${RACE_WINDOW_MS} ms before the signal reached the server after it and got 503 SHUTTING_DOWN`);
  report.check(`no request sent ≥ ${RACE_WINDOW_MS} ms before the signal refused`, failed.length === racing.length,
    `${failed.length - racing.length} refused`);
  report.check(`exit 0 within the grace period (${GRACE_MS} ms)`, o.exitCode === 0 && o.exitAfterMs < GRACE_MS,
    `exit code ${o.exitCode} ${fixed(o.exitAfterMs, 0)} ms after the signal`);
  report.figure('readyAfterSignalMs', o.ready.first503AfterSignalMs ?? Number.NaN);
  report.figure('exitAfterSignalMs', o.exitAfterMs);
  report.figure('answered', addOk + slowOk);
  report.figure('sent', sent);
  report.figure('racedSignal', racing.length);
}

await main();
