import { z } from 'zod';
import { ServingError } from '../../errors/index.js';
import { createCategoricalAccumulator, createNumericAccumulator, mulberry32, normalizeValue } from './accumulate.js';
import type { FeatureAccumulator } from './accumulate.js';
import { optionsError } from './options.js';

/**
 * Training statistics: one pass over the exported training rows, summarised per feature into plain
 * JSON that is saved beside the model as `training-stats.json` and compared with served vectors.
 * Memory is bounded by the options, never by the number of rows.
 */

export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
}

/** A feature value as the pipeline produces it; null, undefined and NaN mean missing. */
export type FeatureValue = number | string | null | undefined;
export type FeatureRow = Readonly<Record<string, FeatureValue>>;

export const TRAINING_STATS_FORMAT = 'skein-training-stats/1';
/** The name of the bin that holds every category not among the recorded ones. */
export const OTHER_CATEGORY = '__other__';

export interface NumericStats {
  readonly kind: 'numeric';
  /** Rows holding a finite number. */
  readonly count: number;
  /** Rows where the value was null, undefined or NaN (or ±Infinity). */
  readonly missing: number;
  /** null when count is 0. std is the sample standard deviation (n − 1), 0 for one value. */
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Inner bin edges, strictly ascending: bin k holds edges[k−1] ≤ v < edges[k] (open at both ends). */
  readonly edges: readonly number[];
  /** edges.length + 1 shares of `count`, summing to 1; all 0 when count is 0. */
  readonly proportions: readonly number[];
  /** A uniform sample of the values (all of them when count ≤ sampleSize), sorted ascending, for KS. */
  readonly sample: readonly number[];
}

export interface CategoryShare {
  readonly value: string;
  /** Share of `count` (present values). */
  readonly share: number;
}

export interface CategoricalStats {
  readonly kind: 'categorical';
  readonly count: number;
  readonly missing: number;
  /** The most frequent categories, most frequent first, at most maxCategories of them. */
  readonly categories: readonly CategoryShare[];
  /** The `__other__` share: present values outside `categories`. */
  readonly otherShare: number;
}

export type FeatureStats = NumericStats | CategoricalStats;

/** What `training-stats.json` holds. Plain JSON: JSON.stringify it, read it back with parseTrainingStats. */
export interface TrainingStats {
  readonly format: typeof TRAINING_STATS_FORMAT;
  /** Rows summarised. */
  readonly rows: number;
  /** In the order the features were given. */
  readonly features: Readonly<Record<string, FeatureStats>>;
}

export interface SummarizeOptions {
  /** Quantile bins per numeric feature (deciles by default); ties merge bins. 2…100. */
  bins?: number;
  /** Categories kept per categorical feature; the rest is the `__other__` share. 1…100000. */
  maxCategories?: number;
  /** Reservoir kept per numeric feature for KS and for the bin edges. 10…100000. */
  sampleSize?: number;
  /** Seed of the reservoir sampling, so the same rows give the same file. */
  seed?: number;
}

export const DEFAULT_BINS = 10;
export const DEFAULT_MAX_CATEGORIES = 1000;
export const DEFAULT_SAMPLE_SIZE = 5000;
export const MAX_FEATURES = 10_000;

const SummarizeOptionsSchema = z.strictObject({
  bins: z.number().int().min(2).max(100).default(DEFAULT_BINS),
  maxCategories: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_CATEGORIES),
  sampleSize: z.number().int().min(10).max(100_000).default(DEFAULT_SAMPLE_SIZE),
  seed: z.number().int().default(1),
});

/**
 * Summarises `rows` (any iterable, read once) per feature. Values of a declared feature that are
 * absent, null, undefined or NaN count as missing; keys that are not declared features are ignored.
 * Numeric features take finite numbers; categorical features take strings (numbers are turned
 * into their decimal text). Any other value is an INPUT_INVALID that names the row and feature.
 */
export function summarize(features: readonly FeatureSpec[], rows: Iterable<FeatureRow>, opts: SummarizeOptions = {}): TrainingStats {
  checkFeatureSpecs(features);
  const parsed = SummarizeOptionsSchema.safeParse(opts);
  if (!parsed.success) throw optionsError('summarize options', parsed.error);
  const o = parsed.data;
  const random = mulberry32(o.seed);
  const accumulators: FeatureAccumulator[] = features.map((f) =>
    f.kind === 'numeric' ? createNumericAccumulator(o.sampleSize, random) : createCategoricalAccumulator(o.maxCategories),
  );
  let rowCount = 0;
  for (const row of rows) {
    if (row === null || typeof row !== 'object') {
      throw new ServingError('INPUT_INVALID', `training row ${rowCount} is not an object of feature values`);
    }
    for (let i = 0; i < features.length; i++) {
      const f = features[i]!;
      const value = normalizeValue(f.kind, Object.hasOwn(row, f.name) ? row[f.name] : undefined);
      if (value === undefined) {
        throw new ServingError('INPUT_INVALID', `training row ${rowCount}: feature "${f.name}" is ${f.kind} but holds a ${typeOfValue(row[f.name])}`);
      }
      accumulators[i]!.add(value);
    }
    rowCount++;
  }
  const out = features.map((f, i) => [f.name, accumulators[i]!.finish(o.bins)] as const);
  return { format: TRAINING_STATS_FORMAT, rows: rowCount, features: Object.fromEntries(out) };
}

/** Rejects what would make an ambiguous statistics file: duplicate, empty or reserved names, unknown kinds. */
export function checkFeatureSpecs(features: readonly FeatureSpec[]): void {
  if (!Array.isArray(features) || features.length === 0) {
    throw new ServingError('INVALID_FEATURE_DEFINITION', 'the feature list must be a non-empty array of {name, kind}');
  }
  if (features.length > MAX_FEATURES) {
    throw new ServingError('INVALID_FEATURE_DEFINITION', `a feature set holds at most ${MAX_FEATURES} features, got ${features.length}`);
  }
  const seen = new Set<string>();
  for (const [i, f] of features.entries()) {
    if (typeof f?.name !== 'string' || f.name === '' || f.name === '__proto__') {
      throw new ServingError('INVALID_FEATURE_DEFINITION', `feature ${i}: name must be a non-empty string other than "__proto__"`);
    }
    if (f.kind !== 'numeric' && f.kind !== 'categorical') {
      throw new ServingError('INVALID_FEATURE_DEFINITION', `feature "${f.name}": kind must be "numeric" or "categorical"`);
    }
    if (seen.has(f.name)) throw new ServingError('INVALID_FEATURE_DEFINITION', `feature "${f.name}" is declared twice`);
    seen.add(f.name);
  }
}

function typeOfValue(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  return typeof v;
}
