/**
 * Turns the serve bench's measurements into the printed tables, the PASS/MISS lines for the
 * issue's targets, and the JSON written to bench/results/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { CeilingRow } from './ceiling.js';
import type { LoadResult } from './load.js';
import type { BatchReport } from './stats.js';

export interface RoundResult {
  /** Which server ran first in this round (alternated to spread drift over both). */
  firstServer: 'skein' | 'baseline';
  skein: LoadResult;
  baseline: LoadResult;
  batches: BatchReport;
}

export interface ConcurrencyRow {
  concurrency: number;
  rounds: RoundResult[];
  /** Each figure's median over the rounds. */
  skein: LoadResult;
  baseline: LoadResult;
  /** Batches of every round together. */
  batches: BatchReport;
}

export interface Target {
  description: string;
  measured: number | undefined;
  pass: boolean | undefined;
}

export interface BenchReport {
  startedAt: string;
  machine: { cpuModel: string; cores: number; node: string; loadAvg1m: number };
  model: string;
  options: { durationS: number; warmupS: number; concurrencies: number[]; ceilingS: number; rounds: number };
  rows: ConcurrencyRow[];
  ceiling: CeilingRow[];
  targets: Target[];
}

export function machineInfo(): BenchReport['machine'] {
  return { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAvg1m: loadavg()[0] ?? 0 };
}

const rpsRatio = (r: ConcurrencyRow): number => r.skein.rps / r.baseline.rps;
const p99Ratio = (r: ConcurrencyRow): number => r.skein.p99Ms / r.baseline.p99Ms;

function target(rows: ConcurrencyRow[], c: number, description: string, value: (r: ConcurrencyRow) => number, ok: (v: number) => boolean): Target {
  const row = rows.find((r) => r.concurrency === c);
  if (!row) return { description, measured: undefined, pass: undefined };
  const measured = value(row);
  return { description, measured, pass: ok(measured) };
}

/** The targets from the issue: batching must pay at high concurrency and cost little at c=1. */
export function evaluateTargets(rows: ConcurrencyRow[]): Target[] {
  return [
    target(rows, 64, 'c=64: Skein rps >= 2x baseline', rpsRatio, (v) => v >= 2),
    target(rows, 64, 'c=64: Skein p99 <= 0.5x baseline', p99Ratio, (v) => v <= 0.5),
    target(rows, 1, 'c=1: Skein rps >= 0.8x baseline', rpsRatio, (v) => v >= 0.8),
  ];
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const f2 = (x: number): string => x.toFixed(2);
const fOpt = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));
/** Other processes taking more than this many cores during a run make its figures suspect. */
const NOISY_OTHER_CORES = 0.25;

function noiseWarning(report: BenchReport): string[] {
  const noisy = report.rows.flatMap((r) => r.rounds.flatMap((round) => [
    ['skein', round.skein.otherCores] as const, ['baseline', round.baseline.otherCores] as const,
  ].filter(([, other]) => other !== undefined && other > NOISY_OTHER_CORES).map(([server, other]) => `${server} c=${r.concurrency} (${f2(other!)} cores)`)));
  if (noisy.length === 0) return [];
  return ['', `WARNING: other processes were busy during ${noisy.join(', ')}; rerun on a quiet machine before trusting those figures.`];
}

export function formatReport(report: BenchReport): string {
  const main = table(
    ['c', 'skein rps', 'p50 ms', 'p99 ms', 'base rps', 'p50 ms', 'p99 ms', 'rps ratio', 'p99 ratio', 'mean batch', 'non-2xx s/b'],
    report.rows.map((r) => [
      String(r.concurrency), n0(r.skein.rps), f2(r.skein.p50Ms), f2(r.skein.p99Ms),
      n0(r.baseline.rps), f2(r.baseline.p50Ms), f2(r.baseline.p99Ms),
      f2(rpsRatio(r)), f2(p99Ratio(r)), f2(r.batches.meanBatch),
      `${r.skein.non2xx + r.skein.errors}/${r.baseline.non2xx + r.baseline.errors}`,
    ]),
  );
  const detail = table(
    ['c', 'skein cores', 'base cores', 'loadgen cores s/b', 'others cores s/b', 'loop p99 ms s/b', 'infer µs/exec', 'queue µs', 'top batch sizes (execs)'],
    report.rows.map((r) => [
      String(r.concurrency), f2(r.skein.serverCores), f2(r.baseline.serverCores),
      `${f2(r.skein.loadGenCores)}/${f2(r.baseline.loadGenCores)}`,
      `${fOpt(r.skein.otherCores)}/${fOpt(r.baseline.otherCores)}`,
      `${f2(r.skein.serverLoopDelayP99Ms)}/${f2(r.baseline.serverLoopDelayP99Ms)}`,
      n0(r.batches.meanInferUs), n0(r.batches.meanQueueUs),
      r.batches.sizes.slice(0, 5).map((s) => `${s.batchSize}(${s.executions})`).join(' '),
    ]),
  );
  const ceiling = table(
    ['batch', 'rows/s', 'run p50 µs'],
    report.ceiling.map((c) => [String(c.batchSize), n0(c.rowsPerS), n0(c.runP50Us)]),
  );
  const targets = report.targets.map((t) => {
    const verdict = t.pass === undefined ? 'NOT RUN' : t.pass ? 'PASS' : 'MISS';
    return `  ${verdict.padEnd(7)} ${t.description} (measured ${t.measured === undefined ? '-' : f2(t.measured)}x)`;
  });
  return [
    `model: ${report.model}`,
    `machine: ${report.machine.cores} × ${report.machine.cpuModel}, node ${report.machine.node}, load avg ${f2(report.machine.loadAvg1m)} at start`,
    `load: autocannon, batch-1 OIP JSON body, ${report.options.durationS} s per run after ${report.options.warmupS} s warmup, ` +
      `${report.options.rounds} round(s)${report.options.rounds > 1 ? ' (figures are medians)' : ''}`,
    '', main, '', 'where the time goes (s = skein, b = baseline; cores = CPU of that process during its run):', detail,
    '', 'ceiling: in-process onnxruntime-node, 1 intra-op thread (one Skein instance; Skein runs one per core):', ceiling,
    '', 'targets:', ...targets, ...noiseWarning(report),
  ].join('\n');
}

/** Writes bench/results/serve-<timestamp>.json and returns its path. */
export async function writeReport(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `serve-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
