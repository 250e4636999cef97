/**
 * Serve bench: Skein against a hand-written fastify + onnxruntime-node baseline, same model,
 * same batch-1 OIP JSON body, at several concurrencies; then the in-process ceiling at the batch
 * sizes Skein formed. Prints tables and the targets, writes bench/results/serve-*.json.
 *
 *   npm run bench
 *   BENCH_DURATION_S=4 BENCH_CONCURRENCY=1,64 BENCH_MODEL=yarnit npm run bench
 *
 * Env: BENCH_DURATION_S (8), BENCH_WARMUP_S (1), BENCH_CONCURRENCY (1,8,64),
 * BENCH_MODEL (mlp_small | yarnit), BENCH_CEILING_S (1, per batch size), BENCH_ROUNDS (1: runs per
 * server and concurrency; with more, the tables show each figure's median over the rounds),
 * BENCH_INSTANCES (unset: Skein's default; n writes `runtime.instances: n` to the model's config).
 * BENCH_INLINE_THREADS (unset: Skein's default, min(2, cores); n writes `runtime.inlineIntraOpThreads: n`).
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { measureCeiling, type CeilingRow } from './lib/ceiling.js';
import { startServerChild, type ServerChild } from './lib/children.js';
import { medianResult, runLoad, type LoadOptions, type LoadResult } from './lib/load.js';
import { inferBody, prepareModel, type BenchModel, type ModelChoice } from './lib/model.js';
import {
  evaluateTargets, formatReport, machineInfo, writeReport,
  type BenchReport, type ConcurrencyRow, type RoundResult,
} from './lib/report.js';
import { batchDelta, mergeBatches, readStats } from './lib/stats.js';
import { envNumber } from './lib/processes.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const CEILING_SIZES_MAX = 8;

function envConcurrencies(): number[] {
  const raw = process.env.BENCH_CONCURRENCY ?? '1,8,64';
  const list = raw.split(',').map(Number);
  if (list.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. 1,8,64');
  return list;
}

function envModel(): ModelChoice {
  const raw = process.env.BENCH_MODEL ?? 'mlp_small';
  if (raw !== 'mlp_small' && raw !== 'yarnit') throw new Error('BENCH_MODEL must be mlp_small or yarnit');
  return raw;
}

async function benchRound(
  c: number, firstServer: 'skein' | 'baseline', model: BenchModel, skein: ServerChild, baseline: ServerChild,
  load: Omit<LoadOptions, 'connections'>,
): Promise<RoundResult> {
  const options = { ...load, connections: c };
  const runSkein = async () => {
    // Warm up first so the stats window covers only the measured run.
    if (options.warmupS > 0) await runLoad(skein, { ...options, durationS: options.warmupS, warmupS: 0 });
    const before = await readStats(skein.url, model.name, model.version);
    const result = await runLoad(skein, { ...options, warmupS: 0 });
    const after = await readStats(skein.url, model.name, model.version);
    return { result, batches: batchDelta(before, after) };
  };
  let s: Awaited<ReturnType<typeof runSkein>>;
  let b: LoadResult;
  if (firstServer === 'skein') {
    s = await runSkein();
    b = await runLoad(baseline, options);
  } else {
    b = await runLoad(baseline, options);
    s = await runSkein();
  }
  process.stdout.write(`  c=${c}: skein ${Math.round(s.result.rps)} rps, baseline ${Math.round(b.rps)} rps, mean batch ${s.batches.meanBatch.toFixed(2)}\n`);
  return { firstServer, skein: s.result, baseline: b, batches: s.batches };
}

/** Runs every round at one concurrency, alternating which server goes first. */
async function benchConcurrency(
  c: number, index: number, rounds: number, model: BenchModel, skein: ServerChild, baseline: ServerChild,
  load: Omit<LoadOptions, 'connections'>,
): Promise<ConcurrencyRow> {
  const results: RoundResult[] = [];
  for (let r = 0; r < rounds; r++) {
    results.push(await benchRound(c, (index + r) % 2 === 0 ? 'skein' : 'baseline', model, skein, baseline, load));
  }
  return {
    concurrency: c,
    rounds: results,
    skein: medianResult(results.map((r) => r.skein)),
    baseline: medianResult(results.map((r) => r.baseline)),
    batches: mergeBatches(results.map((r) => r.batches)),
  };
}

/** The batch sizes worth a ceiling figure: 1, each run's rounded mean, and the most used sizes. */
function ceilingSizes(rows: ConcurrencyRow[]): number[] {
  const sizes = new Set<number>([1]);
  for (const r of rows) sizes.add(Math.max(1, Math.round(r.batches.meanBatch)));
  for (const r of rows) for (const s of r.batches.sizes.slice(0, 2)) sizes.add(s.batchSize);
  return [...sizes].sort((a, b) => a - b).slice(0, CEILING_SIZES_MAX);
}

async function main(): Promise<void> {
  const options = {
    durationS: envNumber('BENCH_DURATION_S', 8),
    warmupS: envNumber('BENCH_WARMUP_S', 1),
    concurrencies: envConcurrencies(),
    ceilingS: envNumber('BENCH_CEILING_S', 1),
    rounds: Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 1))),
  };
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const instances = envNumber('BENCH_INSTANCES', 0);
  const inlineThreads = envNumber('BENCH_INLINE_THREADS', 0);
  // Without BENCH_INSTANCES / BENCH_INLINE_THREADS Skein runs its defaults (no config.yaml): what `skein serve` does.
  const runtimeKeys = [
    ...(instances > 0 ? [`  instances: ${Math.round(instances)}`] : []),
    ...(inlineThreads > 0 ? [`  inlineIntraOpThreads: ${Math.round(inlineThreads)}`] : []),
  ];
  const model = await prepareModel(envModel(), runtimeKeys.length > 0 ? `runtime:\n${runtimeKeys.join('\n')}\n` : undefined);
  const modelLabel = runtimeKeys.length > 0 ? `${model.label}; Skein runtime {${runtimeKeys.map((k) => k.trim()).join(', ')}}` : model.label;
  process.stdout.write(`serve bench: ${modelLabel}\n  starting servers…\n`);
  const path = `/v2/models/${model.name}/infer`;
  const body = inferBody(model, 1);
  const servers: ServerChild[] = [];
  const rows: ConcurrencyRow[] = [];
  let ceiling: CeilingRow[];
  try {
    const skein = await startServerChild('skein', here('./skein-server.ts'), [model.repoDir]);
    servers.push(skein);
    const baseline = await startServerChild('baseline', here('./baseline-server.ts'), [model.name, model.filePath]);
    servers.push(baseline);
    const load = { path, body, durationS: options.durationS, warmupS: options.warmupS };
    for (const [i, c] of options.concurrencies.entries()) rows.push(await benchConcurrency(c, i, options.rounds, model, skein, baseline, load));
    await Promise.all(servers.map((s) => s.stop()));
    process.stdout.write('  measuring the in-process ceiling…\n');
    ceiling = await measureCeiling(model, ceilingSizes(rows), options.ceilingS);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(model.repoDir, { recursive: true, force: true });
  }
  const report: BenchReport = { startedAt, machine, model: modelLabel, options, rows, ceiling, targets: evaluateTargets(rows) };
  process.stdout.write(`\n${formatReport(report)}\n`);
  const file = await writeReport(report, here('./results'));
  process.stdout.write(`\nresults: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`serve bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
