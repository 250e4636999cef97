import type { PredictionValue } from '../types.js';

/**
 * The validation gate: checks over a finished run, before anyone may publish it. The checks are
 * pure functions over a GateSnapshot (what one scan of the run's values found); the runner in
 * run-gate.ts does the I/O around them. Each check fails only for its own reason: a NaN fails
 * `finite`, never `range` or `drift`.
 */
export type CheckName = 'completeness' | 'finite' | 'range' | 'drift' | 'golden';
export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** `--range OUTPUT:MIN:MAX`: every finite value of OUTPUT lies in [min, max]. */
export interface RangeRule {
  output: string;
  min: number;
  max: number;
}

/** One line of a golden file: the run must hold `value` (±tolerance, per element) for `key`. */
export interface GoldenRow {
  key: string;
  output: string;
  value: number | number[];
  tolerance: number;
}

export interface GateConfig {
  ranges: RangeRule[];
  /** Drift fails when PSI of an output against the baseline exceeds this (0.2 is a common bound). */
  maxPsi: number;
  /** Drift fails when the two-sample KS statistic (largest CDF distance, 0–1) exceeds this. */
  maxKs: number;
  psiBins: number;
  golden: GoldenRow[];
  /** Values per output kept for the distribution check (the first ones in scan order). */
  maxSampleValues: number;
}

export const DEFAULT_GATE: Readonly<Omit<GateConfig, 'ranges' | 'golden'>> = Object.freeze({
  maxPsi: 0.2,
  maxKs: 0.1,
  psiBins: 10,
  maxSampleValues: 200_000,
});

/** What the scan of one numeric output found. */
export interface OutputStats {
  /** Elements seen (a [n,k] output counts k per row). */
  values: number;
  /** NaN, ±Infinity, or null (JSON stores NaN and infinities as null). */
  nonFinite: number;
  min: number;
  max: number;
  sample: number[];
  /** Finite values outside each range rule on this output, by rule index. */
  below: number[];
  above: number[];
}

export interface GateSnapshot {
  /** Rows the job read (every shard's); undefined when unknown (validate without --rows-in). */
  rowsIn: number | undefined;
  rowCount: number;
  rejectedCount: number;
  /** Rows the scan returned; more or fewer than rowCount means the store disagrees with itself. */
  rowsScanned: number;
  outputs: Record<string, OutputStats>;
  /** Values found for the golden keys. */
  golden: Record<string, PredictionValue>;
  /** Where the baseline came from, and its samples by output; undefined when there is none. */
  baseline: { source: string; samples: Record<string, number[]> } | undefined;
  /** Why there is no baseline, for the report. */
  noBaselineReason?: string;
}

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** One line for people. */
  summary: string;
  /** Numbers for machines (JSON-serializable). */
  details: Record<string, unknown>;
}

export interface GateReport {
  passed: boolean;
  /** ISO 8601. */
  checkedAt: string;
  checks: CheckResult[];
}
