/**
 * Scenario 7: requests with 100 ms deadlines behind ~5 s of queued work.
 *
 *   node --import tsx bench/reliability/deadlines.ts
 *   WORK_S=2 DEADLINE_REQUESTS=15 node --import tsx bench/reliability/deadlines.ts   # quick
 *
 * One slow model (one instance, maxBatchSize 1) gets enough work requests to keep it busy for
 * WORK_S seconds; then DEADLINE_REQUESTS requests with `parameters.timeout` = 100,000 µs arrive
 * one every 100 ms. Each must be answered 504 DEADLINE_EXCEEDED near its deadline (lateness =
 * answer time − send time − 100 ms, measured by the client) and never run: the model's
 * inference_count grows by the work requests only.
 */
import { rm } from 'node:fs/promises';
import { slowModel, writeModel } from '../../test/helpers/models.js';
import { tempRepo } from '../../test/helpers/server.js';
import { metricValue } from './lib/cli-child.js';
import { until } from './lib/repo.js';
import { Report, log } from './lib/report.js';
import { startBenchServer } from './lib/server-child.js';
import { envNumber, fixed, formatSpread, sleepMs, spreadOf } from './lib/stats.js';

const WORK_S = envNumber('WORK_S', 5);
const DEADLINE_REQUESTS = Math.round(envNumber('DEADLINE_REQUESTS', 40));
const DEADLINE_MS = 100;
const SPACING_MS = 100;
/** "Near": no earlier than the deadline, and at most this much after it. */
const LATENESS_BOUND_MS = 20;
const SLOW_WORK = 40;
const CONFIG = 'maxBatchSize: 1\nruntime:\n  instances: 1\n';

interface Reply {
  status: number;
  code?: string;
  elapsedMs: number;
}

async function infer(origin: string, value: number, timeoutUs?: number): Promise<Reply> {
  const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [value, value, value, value] }], ...(timeoutUs ? { parameters: { timeout: timeoutUs } } : {}) };
  const t0 = performance.now();
  const res = await fetch(`${origin}/v2/models/slow/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const parsed = (await res.json()) as { code?: string };
  return { status: res.status, code: parsed.code, elapsedMs: performance.now() - t0 };
}

async function inferenceCount(origin: string): Promise<{ inferences: number; executions: number }> {
  const body = (await (await fetch(`${origin}/v2/models/slow/stats`)).json()) as { model_stats: { inference_count: number; execution_count: number }[] };
  return { inferences: body.model_stats[0]!.inference_count, executions: body.model_stats[0]!.execution_count };
}

async function main(): Promise<void> {
  const report = new Report('scenario 7: 100 ms deadlines behind queued work');
  const repo = await tempRepo('skein-deadlines-');
  await writeModel(repo, 'slow', 1, slowModel(SLOW_WORK), CONFIG);
  const server = await startBenchServer({ modelRepository: repo, workers: 2 });
  try {
    const calibration: number[] = [];
    for (let i = 0; i < 5; i++) calibration.push((await infer(server.origin, 0)).elapsedMs);
    const runMs = spreadOf(calibration).p50Ms;
    const workCount = Math.ceil((WORK_S * 1000) / runMs);
    log(`one run ≈ ${fixed(runMs)} ms; ${workCount} work requests ≈ ${fixed((workCount * runMs) / 1000)} s of work`);

    const before = await inferenceCount(server.origin);
    await server.loopDelay();
    const work = Array.from({ length: workCount }, (_, i) => infer(server.origin, i + 1));
    const queued = await until(async () => (await metricValue(server.origin, 'skein_inflight_requests{model="slow"')) >= workCount, 5000, 5);
    const late: Promise<Reply>[] = [];
    for (let i = 0; i < DEADLINE_REQUESTS; i++) {
      late.push(infer(server.origin, 10_000 + i, DEADLINE_MS * 1000));
      await sleepMs(SPACING_MS);
    }
    const lateReplies = await Promise.all(late);
    const workReplies = await Promise.all(work);
    const after = await inferenceCount(server.origin);
    const loop = await server.loopDelay();

    const exceeded = lateReplies.filter((r) => r.status === 504 && r.code === 'DEADLINE_EXCEEDED');
    const lateness = lateReplies.map((r) => r.elapsedMs - DEADLINE_MS);
    const spread = spreadOf(lateness);
    const others = lateReplies.filter((r) => !(r.status === 504 && r.code === 'DEADLINE_EXCEEDED')).map((r) => `${r.status} ${r.code ?? ''}`);
    log(`answer time − deadline: ${formatSpread(spread)}`);
    log(`server event-loop delay meanwhile: p99 ${fixed(loop.p99Ms)} ms, max ${fixed(loop.maxMs)} ms`);
    if (process.env.VERBOSE) log(`in send order: ${lateness.map((l) => fixed(l, 0)).join(" ")}`);
    const stillQueuedAtLast = workCount * runMs - (DEADLINE_REQUESTS * SPACING_MS);
    report.check('the deadline requests waited behind work', queued && stillQueuedAtLast > DEADLINE_MS,
      `${workCount} work requests in flight: ${queued}; ≈ ${fixed(stillQueuedAtLast, 0)} ms of work still queued when the last one arrived`);
    report.check('each answered 504 DEADLINE_EXCEEDED', exceeded.length === DEADLINE_REQUESTS,
      `${exceeded.length} of ${DEADLINE_REQUESTS}${others.length ? `; others: ${others.join(', ')}` : ''}`);
    report.check(`near its deadline (0 ≤ answer − deadline ≤ ${LATENESS_BOUND_MS} ms)`, spread.minMs >= 0 && spread.maxMs <= LATENESS_BOUND_MS,
      `min ${fixed(spread.minMs)} p50 ${fixed(spread.p50Ms)} p99 ${fixed(spread.p99Ms)} max ${fixed(spread.maxMs)} ms`);
    report.check('never executed (inference_count grew by the work requests only)',
      after.inferences - before.inferences === workCount && after.executions - before.executions === workCount,
      `inference_count +${after.inferences - before.inferences}, execution_count +${after.executions - before.executions}, work requests ${workCount}`);
    const workOk = workReplies.filter((r) => r.status === 200).length;
    report.check('every work request succeeded', workOk === workCount, `${workOk} of ${workCount}`);
    report.figure('latenessP50Ms', spread.p50Ms);
    report.figure('latenessMaxMs', spread.maxMs);
  } catch (err) {
    report.crashed(err);
  } finally {
    const code = await server.stop();
    await rm(repo, { recursive: true, force: true });
    report.check('server exits 0 after the run', code === 0, `exit code ${code}`);
  }
  report.finish();
}

await main();
