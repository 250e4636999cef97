import type { CategoricalStats, FeatureKind, NumericStats } from './stats.js';

/**
 * One-pass, bounded-memory accumulators behind summarize() and the monitor's reference window.
 * Internal to this folder.
 */

/** A normalised value: a finite number (numeric), a token (categorical), or null (missing). */
export type NormalizedValue = number | string | null;

/** Category tokens longer than this are compared by their first MAX_CATEGORY_CHARS characters. */
export const MAX_CATEGORY_CHARS = 256;
/**
 * Distinct categories tracked while counting, per kept category. Past it the counts become
 * Misra–Gries estimates (each low by at most count / tracked), so a high-cardinality feature
 * (an id) cannot grow the map without bound, and every category above that share is still kept.
 */
const TRACKED_PER_KEPT_CATEGORY = 10;

/**
 * Normalises one raw value for a feature of `kind`: null for missing (null, undefined, NaN,
 * ±Infinity), undefined when the value has the wrong type (an object, a boolean, a string for a
 * numeric feature). Categorical features take finite numbers as their decimal text.
 */
export function normalizeValue(kind: FeatureKind, v: unknown): NormalizedValue | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return kind === 'numeric' ? v : String(v);
  }
  if (typeof v === 'string' && kind === 'categorical') return v.length > MAX_CATEGORY_CHARS ? v.slice(0, MAX_CATEGORY_CHARS) : v;
  return undefined;
}

export interface FeatureAccumulator {
  add(value: NormalizedValue): void;
  finish(bins: number): NumericStats | CategoricalStats;
}

/** Welford mean/variance, min/max and an Algorithm R reservoir of `sampleSize` values. */
export function createNumericAccumulator(sampleSize: number, random: () => number): FeatureAccumulator {
  let count = 0;
  let missing = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  const sample: number[] = [];
  return {
    add(value) {
      if (typeof value !== 'number') {
        missing++;
        return;
      }
      count++;
      const delta = value - mean;
      mean += delta / count;
      m2 += delta * (value - mean);
      if (value < min) min = value;
      if (value > max) max = value;
      if (sample.length < sampleSize) sample.push(value);
      else {
        const j = Math.floor(random() * count);
        if (j < sampleSize) sample[j] = value;
      }
    },
    finish(bins) {
      const sorted = Float64Array.from(sample).sort();
      const edges = quantileEdges(sorted, bins);
      const proportions = binShares(sorted, edges);
      const present = count > 0;
      return {
        kind: 'numeric',
        count,
        missing,
        mean: present ? mean : null,
        std: present ? (count > 1 ? Math.sqrt(m2 / (count - 1)) : 0) : null,
        min: present ? min : null,
        max: present ? max : null,
        edges,
        proportions,
        sample: Array.from(sorted),
      };
    },
  };
}

/** Exact counts up to the tracked bound, Misra–Gries estimates past it. */
export function createCategoricalAccumulator(maxCategories: number): FeatureAccumulator {
  const tracked = maxCategories * TRACKED_PER_KEPT_CATEGORY;
  const counts = new Map<string, number>();
  let count = 0;
  let missing = 0;
  return {
    add(value) {
      if (value === null) {
        missing++;
        return;
      }
      const token = String(value);
      count++;
      const c = counts.get(token);
      if (c !== undefined) counts.set(token, c + 1);
      else if (counts.size < tracked) counts.set(token, 1);
      else {
        // The new token and one occurrence of every tracked token cancel out (Misra–Gries).
        for (const [k, n] of counts) {
          if (n === 1) counts.delete(k);
          else counts.set(k, n - 1);
        }
      }
    },
    finish() {
      const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, maxCategories);
      const kept = top.reduce((s, [, n]) => s + n, 0);
      return {
        kind: 'categorical',
        count,
        missing,
        categories: top.map(([value, n]) => ({ value, share: n / count })),
        otherShare: count > 0 ? (count - kept) / count : 0,
      };
    },
  };
}

/** Inner edges (at most bins − 1, strictly ascending) at the quantiles of `sorted`. */
export function quantileEdges(sorted: ArrayLike<number>, bins: number): number[] {
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges;
}

/** The bin of v: the number of edges ≤ v (binary search). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Share of values in each of the edges.length + 1 bins; all 0 for no values. */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i]!)]!++;
  return values.length === 0 ? counts : counts.map((c) => c / values.length);
}

/** The seeded PRNG of reservoir samples, so a summary of the same rows is the same file. */
export { seededRandom as mulberry32 } from '../../util/index.js';
