import { ServingError } from '../../errors/index.js';
import type { PredictionStore } from '../types.js';
import { accumulate, createAccumulator, sampleValues } from './accumulate.js';
import { evaluateGate } from './checks.js';
import { readBaseline } from './files.js';
import type { GateConfig, GateReport, GateSnapshot } from './types.js';

export interface GateRun {
  set: string;
  runId: string;
  /** Rows in (every shard's); undefined skips the rows-in half of completeness. */
  rowsIn: number | undefined;
  config: GateConfig;
  /** A reference file; without it the set's published run (when another) is the baseline. */
  baselineFile?: string;
  /** ISO 8601 time for the report; default now. */
  now?: () => string;
}

async function baselineOf(store: PredictionStore, g: GateRun): Promise<Pick<GateSnapshot, 'baseline' | 'noBaselineReason'>> {
  const samples: Record<string, number[]> = {};
  const max = g.config.maxSampleValues;
  const full = (): boolean => Object.values(samples).length > 0 && Object.values(samples).every((s) => s.length >= max);
  if (g.baselineFile !== undefined) {
    await readBaseline(g.baselineFile, (value) => {
      sampleValues(samples, value, max);
      return !full();
    });
    return { baseline: { source: 'the --baseline file', samples } };
  }
  const published = await store.published(g.set);
  if (!published) return { baseline: undefined, noBaselineReason: 'nothing published in this set yet' };
  if (published.runId === g.runId) return { baseline: undefined, noBaselineReason: 'this run is the published one' };
  for await (const row of store.scanValues(g.set, published.runId, max)) sampleValues(samples, row.value, max);
  return { baseline: { source: `published run ${published.runId}`, samples } };
}

/** Scans the run once and evaluates the gate; does not record the result (see recordGate). */
export async function evaluateRun(store: PredictionStore, g: GateRun): Promise<GateReport> {
  const run = await store.getRun(g.set, g.runId);
  if (!run) throw new ServingError('RUN_NOT_FOUND', 'no run of that id in this prediction set; see `skein predictions list`');
  const acc = createAccumulator();
  const goldenKeys = new Set(g.config.golden.map((r) => r.key));
  // One row past the count: a store holding more rows than it counted fails completeness.
  for await (const row of store.scanValues(g.set, g.runId, run.rowCount + 1)) accumulate(acc, row, g.config, goldenKeys);
  const snapshot: GateSnapshot = {
    rowsIn: g.rowsIn, rowCount: run.rowCount, rejectedCount: run.rejectedCount,
    rowsScanned: acc.rowsScanned, outputs: acc.outputs, golden: acc.golden,
    ...(await baselineOf(store, g)),
  };
  return evaluateGate(snapshot, g.config, (g.now ?? (() => new Date().toISOString()))());
}

/** Evaluates the gate and records it on the run: `passed` or `failed`. */
export async function runGate(store: PredictionStore, g: GateRun): Promise<GateReport> {
  const report = await evaluateRun(store, g);
  await store.setGateResult(g.set, g.runId, report.passed, report);
  return report;
}
