import { chiSquareSurvival, ksTwoSampleSorted } from '../stats/index.js';

export { chiSquareSurvival, kolmogorovSurvival } from '../stats/index.js';

/**
 * Distribution tests for the statistical suite. Pure functions; p-values come from the usual
 * approximations (Numerical Recipes, 3rd ed.): the regularized incomplete gamma function for
 * chi-square, and the asymptotic Kolmogorov distribution with Stephens' small-sample correction
 * for two-sample KS.
 */

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

export interface KsResult {
  /** The largest distance between the two empirical CDFs, in [0, 1]. */
  statistic: number;
  pValue: number;
}

/** Proportion floor for empty bins in PSI, so one empty bin does not make it infinite. */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/**
 * Goodness of fit of observed class counts to expected proportions (which need not sum to 1:
 * they are normalised). A class observed but absent from the baseline gets a tiny expected
 * share, so it drives the p-value to about 0 instead of being ignored.
 */
export function chiSquareTest(observed: Record<string, number>, expected: Record<string, number>): ChiSquareResult {
  const classes = [...new Set([...Object.keys(expected), ...Object.keys(observed)])];
  const total = classes.reduce((s, c) => s + (observed[c] ?? 0), 0);
  const expectedSum = classes.reduce((s, c) => s + Math.max(0, expected[c] ?? 0), 0);
  if (total === 0 || expectedSum === 0 || classes.length < 2) {
    return { statistic: 0, degreesOfFreedom: 0, pValue: 1 };
  }
  let statistic = 0;
  for (const c of classes) {
    const share = Math.max(expected[c] ?? 0, 0) / expectedSum;
    const e = total * Math.max(share, 1e-9);
    const o = observed[c] ?? 0;
    statistic += ((o - e) * (o - e)) / e;
  }
  const degreesOfFreedom = classes.length - 1;
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}

/** Two-sample Kolmogorov–Smirnov test (unsorted samples). */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  const { d, pValue } = ksTwoSampleSorted([...a].sort((p, q) => p - q), [...b].sort((p, q) => p - q));
  return { statistic: d, pValue };
}

/**
 * Population stability index of `actual` against `expected`, over `bins` quantile bins of
 * `expected` (equal-width bins when expected has too few distinct values).
 */
export function psi(expected: readonly number[], actual: readonly number[], bins = 10): number {
  if (expected.length === 0 || actual.length === 0) return 0;
  const edges = quantileEdges(expected, bins);
  const e = binShares(expected, edges);
  const a = binShares(actual, edges);
  return psiFromShares(e, a);
}

/** PSI from bin shares: Σ (a - e) ln(a / e), with empty bins floored. */
export function psiFromShares(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  for (let k = 0; k < expected.length; k++) {
    const e = Math.max(expected[k] ?? 0, PSI_EMPTY_BIN_SHARE);
    const a = Math.max(actual[k] ?? 0, PSI_EMPTY_BIN_SHARE);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** Inner bin edges (bins - 1 of them, distinct, ascending) at the quantiles of `values`. */
export function quantileEdges(values: readonly number[], bins: number): number[] {
  const sorted = [...values].sort((p, q) => p - q);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges;
}

/** Share of values in each bin: bin k holds edges[k-1] ≤ v < edges[k]. */
export function binShares(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < edges.length && v >= edges[k]!) k++;
    counts[k]!++;
  }
  return counts.map((c) => c / values.length);
}

/** Nearest-rank percentile of values sorted ascending; 0 for an empty list. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length - 1, Math.max(0, rank - 1))]!;
}
