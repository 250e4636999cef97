import { z } from 'zod';
import { ksTwoSampleSorted } from '../../stats/index.js';
import { binOf, normalizeValue } from './accumulate.js';
import type { NormalizedValue } from './accumulate.js';
import { optionsError } from './options.js';
import { OTHER_CATEGORY } from './stats.js';
import type { CategoricalStats, FeatureKind, FeatureRow, FeatureStats, NumericStats, TrainingStats } from './stats.js';

/**
 * Comparisons of a served sample with a reference (the training statistics for skew, an earlier
 * window for drift). Pure functions over their arguments: no clock, no I/O, no randomness.
 */

/** When a feature is flagged. Each field is documented in docs/skew.md. */
export interface SkewThresholds {
  /** Flag when PSI ≥ psi. */
  readonly psi: number;
  /** Flag when the KS p-value < ksPValue and D ≥ ksD (both, so a huge sample's tiny D does not flag). */
  readonly ksPValue: number;
  readonly ksD: number;
  /** Flag when the served missing rate exceeds the reference's by at least this much. */
  readonly missingRateIncrease: number;
  /** Flag when the share of unseen categories exceeds the reference's `__other__` share by at least this much. */
  readonly unseenShare: number;
  /** Fewer served vectors than this: status insufficient_data, never flagged. */
  readonly minSamples: number;
}

export const DEFAULT_SKEW_THRESHOLDS: SkewThresholds = Object.freeze({
  psi: 0.25,
  ksPValue: 0.001,
  ksD: 0.1,
  missingRateIncrease: 0.1,
  unseenShare: 0.05,
  minSamples: 200,
});

export const DEFAULT_PSI_EPSILON = 1e-4;
/** Unseen categories listed per feature (most frequent first), and their length in characters. */
export const MAX_UNSEEN_EXAMPLES = 10;
const MAX_EXAMPLE_CHARS = 64;

export type SkewStatus = 'ok' | 'flagged' | 'insufficient_data';

export interface KsResult {
  /** The largest distance between the two empirical CDFs, in [0, 1]. */
  d: number;
  /** Asymptotic p-value (Kolmogorov distribution with Stephens' correction). */
  pValue: number;
}

export interface FeatureSkew {
  kind: FeatureKind;
  /** insufficient_data: too few served values to compare their distribution (the missing rate is still checked). */
  status: SkewStatus;
  flagged: boolean;
  /** Why it is flagged, one sentence per check that fired; empty when not flagged. */
  reasons: string[];
  /** Served values present (not missing). */
  count: number;
  /** null when the distribution was not compared. */
  psi: number | null;
  /** Numeric features only; null otherwise or when not compared. */
  ks: KsResult | null;
  missingRate: { reference: number; served: number };
  /** Categorical features only: served values outside the reference's categories. */
  unseen: { share: number; examples: string[] } | null;
}

export interface SkewReport {
  /** flagged if any feature is; insufficient_data when samples < thresholds.minSamples. */
  status: SkewStatus;
  /** Served vectors compared. */
  samples: number;
  /** Rows the training statistics summarise. */
  trainingRows: number;
  thresholds: SkewThresholds;
  /** Names of the flagged features, in feature order. */
  flagged: string[];
  features: Record<string, FeatureSkew>;
}

/** Served feature vectors, as the server assembles them. */
export type FeatureSample = readonly FeatureRow[];

const ThresholdsSchema = z.strictObject({
  psi: z.number().positive().optional(),
  ksPValue: z.number().gt(0).lt(1).optional(),
  ksD: z.number().gt(0).max(1).optional(),
  missingRateIncrease: z.number().gt(0).max(1).optional(),
  unseenShare: z.number().gt(0).max(1).optional(),
  minSamples: z.number().int().min(1).max(1_000_000).optional(),
});

/** Fills the defaults; rejects an unknown key or an out-of-range value with INVALID_CONFIG. */
export function resolveThresholds(partial: Partial<SkewThresholds> = {}): SkewThresholds {
  const parsed = ThresholdsSchema.safeParse(partial);
  if (!parsed.success) throw optionsError('skew thresholds', parsed.error);
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...DEFAULT_SKEW_THRESHOLDS, ...defined });
}

/**
 * Population stability index Σ (a − e) · ln(a / e) over matching bins. Both arguments are
 * proportions over the same bins (each summing to 1); a share below epsilon counts as epsilon,
 * so an empty bin does not make the index infinite. 0 for identical distributions.
 */
export function psi(expectedProportions: readonly number[], actualProportions: readonly number[], epsilon = DEFAULT_PSI_EPSILON): number {
  if (expectedProportions.length !== actualProportions.length) {
    throw new Error(`psi: ${expectedProportions.length} expected bins but ${actualProportions.length} actual bins`);
  }
  let total = 0;
  for (let k = 0; k < expectedProportions.length; k++) {
    const e = Math.max(expectedProportions[k]!, epsilon);
    const a = Math.max(actualProportions[k]!, epsilon);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/**
 * Two-sample Kolmogorov–Smirnov test. Both samples must be sorted ascending. D is the largest
 * gap between the empirical CDFs (ties step together); the p-value is Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D)
 * with nₑ = n·m/(n + m). Empty samples give {d: 0, pValue: 1}.
 */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): KsResult {
  return ksTwoSampleSorted(sortedA, sortedB);
}

/**
 * Skew: the served sample against the training statistics, binned with the training bin edges
 * and categories. Features in the sample but not in `stats` are ignored; a feature of `stats`
 * absent from a served vector counts as missing there, and a value of the wrong type too.
 */
export function compareToTraining(stats: TrainingStats, sample: FeatureSample, thresholds: Partial<SkewThresholds> = {}): SkewReport {
  const t = resolveThresholds(thresholds);
  const names = Object.keys(stats.features);
  const column = (name: string): NormalizedValue[] => {
    const kind = stats.features[name]!.kind;
    return sample.map((row) => (row !== null && typeof row === 'object' && Object.hasOwn(row, name) ? normalizeValue(kind, row[name]) ?? null : null));
  };
  return buildReport(stats, names, sample.length, column, t);
}

/** The report over columns of normalised values (one per feature, each `samples` long). */
export function buildReport(
  stats: TrainingStats,
  names: readonly string[],
  samples: number,
  column: (name: string) => readonly NormalizedValue[],
  t: SkewThresholds,
): SkewReport {
  const entries = names.map((name) => [name, compareFeature(stats.features[name]!, column(name), t)] as const);
  const flagged = entries.filter(([, f]) => f.flagged).map(([name]) => name);
  const status: SkewStatus = samples < t.minSamples ? 'insufficient_data' : flagged.length > 0 ? 'flagged' : 'ok';
  return { status, samples, trainingRows: stats.rows, thresholds: t, flagged, features: Object.fromEntries(entries) };
}

/**
 * One feature's served column against its reference statistics. With fewer than minSamples values
 * in the column nothing is checked; with enough vectors but fewer than minSamples present values
 * only the missing rate is.
 */
export function compareFeature(ref: FeatureStats, column: readonly NormalizedValue[], t: SkewThresholds): FeatureSkew {
  const n = column.length;
  const present = column.filter((v): v is number | string => v !== null);
  const refRows = ref.count + ref.missing;
  const missingRate = { reference: refRows > 0 ? ref.missing / refRows : 0, served: n > 0 ? (n - present.length) / n : 0 };
  const skew: FeatureSkew = { kind: ref.kind, status: 'insufficient_data', flagged: false, reasons: [], count: present.length, psi: null, ks: null, missingRate, unseen: null };
  if (n < t.minSamples) return skew;
  const rise = missingRate.served - missingRate.reference;
  if (rise >= t.missingRateIncrease) {
    skew.reasons.push(`missing rate rose from ${pct(missingRate.reference)} to ${pct(missingRate.served)} (+${pct(rise)} ≥ ${pct(t.missingRateIncrease)})`);
  }
  if (present.length >= t.minSamples && ref.count > 0) {
    if (ref.kind === 'numeric') compareNumeric(ref, present as number[], t, skew);
    else compareCategorical(ref, present.map(String), t, skew);
  }
  skew.flagged = skew.reasons.length > 0;
  skew.status = skew.flagged ? 'flagged' : skew.psi === null ? 'insufficient_data' : 'ok';
  return skew;
}

function compareNumeric(ref: NumericStats, values: number[], t: SkewThresholds, skew: FeatureSkew): void {
  const counts = new Array<number>(ref.proportions.length).fill(0);
  for (const v of values) counts[binOf(ref.edges, v)]!++;
  skew.psi = psi(ref.proportions, counts.map((c) => c / values.length));
  skew.ks = ksStatistic(ref.sample, Float64Array.from(values).sort());
  if (skew.psi >= t.psi) skew.reasons.push(`PSI ${skew.psi.toFixed(3)} ≥ ${t.psi}`);
  if (skew.ks.pValue < t.ksPValue && skew.ks.d >= t.ksD) {
    const p = skew.ks.pValue > 0 ? `p ${skew.ks.pValue.toExponential(1)}` : 'p ≈ 0';
    skew.reasons.push(`KS D ${skew.ks.d.toFixed(3)} ≥ ${t.ksD} with ${p} < ${t.ksPValue}`);
  }
}

function compareCategorical(ref: CategoricalStats, values: string[], t: SkewThresholds, skew: FeatureSkew): void {
  const binOfCategory = new Map(ref.categories.map((c, k) => [c.value, k]));
  const other = ref.categories.length;
  const counts = new Array<number>(other + 1).fill(0);
  const unseen = new Map<string, number>();
  for (const v of values) {
    const k = binOfCategory.get(v);
    if (k !== undefined) counts[k]!++;
    else {
      counts[other]!++;
      unseen.set(v, (unseen.get(v) ?? 0) + 1);
    }
  }
  const expected = [...ref.categories.map((c) => c.share), ref.otherShare];
  skew.psi = psi(expected, counts.map((c) => c / values.length));
  const share = counts[other]! / values.length;
  const examples = [...unseen]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_UNSEEN_EXAMPLES)
    .map(([v]) => (v.length > MAX_EXAMPLE_CHARS ? `${v.slice(0, MAX_EXAMPLE_CHARS)}…` : v));
  skew.unseen = { share, examples };
  if (skew.psi >= t.psi) skew.reasons.push(`PSI ${skew.psi.toFixed(3)} ≥ ${t.psi}`);
  if (share - ref.otherShare >= t.unseenShare) {
    skew.reasons.push(`${pct(share)} of served values are categories unseen in the reference (its ${OTHER_CATEGORY} share is ${pct(ref.otherShare)}; limit +${pct(t.unseenShare)})`);
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
