import { ServingError } from '../errors/index.js';

/**
 * Choosing a cascade's thresholds from labelled validation rows: a pure function over every
 * stage's score and prediction for every row (`skein cascade tune` runs the models; nothing here
 * does I/O). A row is answered by the first stage whose score is ≥ that stage's threshold (the
 * last stage answers the rest); it costs the sum of the costs of the stages it ran through.
 *
 * Search:
 *   2 stages:  exact. Every distinct stage-0 score is a candidate (plus "accept none" when the
 *              rule can express it), evaluated in O(rows · log rows) from sorted prefix sums.
 *              The table shows `tableRows` evenly spaced thresholds from 0 to the rule's maximum.
 *   3+ stages: a grid. Each non-final stage gets P thresholds at evenly spaced ranks of its own
 *              distinct scores (always including "accept all" and, where expressible, "accept
 *              none"), P as large as keeps P^(stages−1) ≤ MAX_GRID_CANDIDATES and
 *              candidates × rows ≤ MAX_GRID_ROW_EVALUATIONS (at least 2). The table is the
 *              candidates on the cost/accuracy frontier (none cheaper is as accurate).
 * Recommended: the cheapest candidate whose accuracy ≥ the target (ties: the more accurate);
 * if none reaches it, the most accurate (ties: the cheaper), with metTarget false.
 * A threshold is written as a shortest decimal that selects the same rows, nearest their middle.
 */

export interface StagePredictions {
  /** Confidence per row (rowConfidence); NaN is never accepted. Unused for the last stage. */
  scores: Float64Array;
  /** Class predicted per row. */
  predicted: Int32Array | readonly number[];
}

export interface TuneInput {
  /** Every stage, in cascade order, over the same rows. At least 2. */
  stages: readonly StagePredictions[];
  /** The true class per row. */
  labels: Int32Array | readonly number[];
  /** Cost of running each stage on one row (any unit, the same for all stages). */
  costPerRow: readonly number[];
  /** Accuracy the cascade must reach, in (0, 1]. */
  targetAccuracy: number;
  /** Per non-final stage, the largest threshold its rule allows (1, or 0.5 for margin). Default 1. */
  maxThresholds?: readonly number[];
  /** Rows of the 2-stage table, evenly spaced thresholds from 0 to the maximum. Default 21. */
  tableRows?: number;
}

export interface TradeOffRow {
  /** One per non-final stage. */
  thresholds: number[];
  /** Share of rows each stage answers (one per stage; sums to 1). */
  shareAnsweredPerStage: number[];
  accuracy: number;
  /** Mean over rows of the sum of the costs of the stages a row ran through. */
  costPerRow: number;
  /** costPerRow / the cost of always running only the last stage. */
  costVsLastStage: number;
}

export interface TuneResult {
  rows: number;
  targetAccuracy: number;
  /** Accuracy of each stage answering every row by itself. */
  accuracyPerStage: number[];
  table: TradeOffRow[];
  recommended: TradeOffRow & { metTarget: boolean };
  search: { kind: 'exact' | 'grid'; candidates: number; pointsPerStage?: number };
}

export const DEFAULT_TABLE_ROWS = 21;
export const MAX_TABLE_ROWS = 101;
export const MAX_GRID_CANDIDATES = 4096;
export const MAX_GRID_ROW_EVALUATIONS = 50_000_000;

function invalid(message: string): ServingError {
  return new ServingError('INVALID_CONFIG', message);
}

function checkInput(input: TuneInput): void {
  const { stages, labels, costPerRow, targetAccuracy } = input;
  if (stages.length < 2) throw invalid(`a cascade needs at least 2 stages to tune, got ${stages.length}`);
  if (labels.length === 0) throw invalid('the validation set has no rows');
  stages.forEach((s, i) => {
    const last = i === stages.length - 1;
    if (s.predicted.length !== labels.length || (!last && s.scores.length !== labels.length)) {
      throw invalid(`stage ${i} has ${s.predicted.length} predictions for ${labels.length} labelled rows`);
    }
  });
  if (costPerRow.length !== stages.length || !costPerRow.every((c) => Number.isFinite(c) && c > 0)) {
    throw invalid(`every stage needs a positive cost per row (got [${costPerRow.join(', ')}] for ${stages.length} stages)`);
  }
  if (!(targetAccuracy > 0 && targetAccuracy <= 1)) throw invalid(`the target accuracy must lie in (0, 1], got ${targetAccuracy}`);
  const rows = input.tableRows ?? DEFAULT_TABLE_ROWS;
  if (!Number.isInteger(rows) || rows < 2 || rows > MAX_TABLE_ROWS) throw invalid(`tableRows must be an integer in [2, ${MAX_TABLE_ROWS}]`);
  const max = input.maxThresholds;
  if (max !== undefined && (max.length !== stages.length - 1 || !max.every((m) => m > 0 && m <= 1))) {
    throw invalid('maxThresholds needs one value in (0, 1] per non-final stage');
  }
}

/**
 * A short decimal t with lo < t ≤ hi (lo < hi): the fewest digits that fit, and of those the one
 * nearest the middle, so a score that moves in its last bits (another runtime, FP16) stays on
 * the same side.
 */
export function shortestAbove(lo: number, hi: number): number {
  const middle = lo + (hi - lo) / 2;
  for (let digits = 0; digits <= 20; digits++) {
    const scale = 10 ** digits;
    const first = Math.floor(lo * scale + 1) / scale;
    if (!(first > lo && first <= hi)) continue;
    const near = Math.round(middle * scale) / scale;
    return near > lo && near <= hi ? near : first;
  }
  return hi;
}

/** Distinct finite scores, ascending. */
function distinctScores(scores: Float64Array): number[] {
  const sorted = Float64Array.from(scores.filter((s) => !Number.isNaN(s))).sort();
  const out: number[] = [];
  for (const s of sorted) if (out.length === 0 || s !== out[out.length - 1]) out.push(s);
  return out;
}

/**
 * Every threshold in [0, max] that selects a different set of rows, ascending: candidate k
 * accepts the rows scoring above distinct[k − 1], written as a short decimal (shortestAbove).
 */
export function candidateThresholds(scores: Float64Array, max: number): number[] {
  const distinct = distinctScores(scores);
  const out: number[] = [];
  for (let k = 0; k <= distinct.length; k++) {
    const below = k === 0 ? -Infinity : distinct[k - 1]!;
    const at = k === distinct.length ? Infinity : distinct[k]!;
    if (below >= max || at < 0) continue;
    out.push(below < 0 ? 0 : shortestAbove(below, Math.min(at, max)));
  }
  return out;
}

function correctPerStage(input: TuneInput): Uint8Array[] {
  return input.stages.map((s) => {
    const ok = new Uint8Array(input.labels.length);
    for (let r = 0; r < ok.length; r++) ok[r] = s.predicted[r] === input.labels[r] ? 1 : 0;
    return ok;
  });
}

function makeRow(thresholds: number[], answered: number[], correct: number, input: TuneInput): TradeOffRow {
  const n = input.labels.length;
  const costs = input.costPerRow;
  let cost = 0;
  let upTo = 0;
  answered.forEach((a, i) => {
    upTo += costs[i]!;
    cost += a * upTo;
  });
  const costPerRow = cost / n;
  return {
    thresholds,
    shareAnsweredPerStage: answered.map((a) => a / n),
    accuracy: correct / n,
    costPerRow,
    costVsLastStage: costPerRow / costs[costs.length - 1]!,
  };
}

/** Any number of stages: one pass over the rows. */
export function evaluateThresholds(input: TuneInput, thresholds: readonly number[], correct = correctPerStage(input)): TradeOffRow {
  const last = input.stages.length - 1;
  const answered = new Array<number>(input.stages.length).fill(0);
  let right = 0;
  for (let r = 0; r < input.labels.length; r++) {
    let stage = 0;
    while (stage < last && !(input.stages[stage]!.scores[r]! >= thresholds[stage]!)) stage++;
    answered[stage]!++;
    right += correct[stage]![r]!;
  }
  return makeRow([...thresholds], answered, right, input);
}

/** Two stages: rows sorted by stage-0 score, descending, with prefix sums of what answering them at stage 0 gains. */
function twoStageSweep(input: TuneInput): (threshold: number) => TradeOffRow {
  const [ok0, ok1] = correctPerStage(input) as [Uint8Array, Uint8Array];
  const scores = input.stages[0]!.scores;
  const order = Array.from(scores.keys()).filter((r) => !Number.isNaN(scores[r]!)).sort((a, b) => scores[b]! - scores[a]!);
  const gain = new Int32Array(order.length + 1);
  order.forEach((r, i) => { gain[i + 1] = gain[i]! + ok0[r]! - ok1[r]!; });
  let base = 0;
  for (const v of ok1) base += v;
  const n = input.labels.length;
  return (threshold) => {
    // Rows with score ≥ threshold form a prefix of `order`; binary search its length.
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (scores[order[mid]!]! >= threshold) lo = mid + 1;
      else hi = mid;
    }
    return makeRow([threshold], [lo, n - lo], base + gain[lo]!, input);
  };
}

function better(a: TradeOffRow, b: TradeOffRow, target: number): boolean {
  const aMet = a.accuracy >= target;
  const bMet = b.accuracy >= target;
  if (aMet !== bMet) return aMet;
  if (aMet) return a.costPerRow < b.costPerRow || (a.costPerRow === b.costPerRow && a.accuracy > b.accuracy);
  return a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.costPerRow < b.costPerRow);
}

function pick(candidates: Iterable<TradeOffRow>, target: number): TradeOffRow & { metTarget: boolean } {
  let best: TradeOffRow | undefined;
  for (const c of candidates) if (best === undefined || better(c, best, target)) best = c;
  if (best === undefined) throw invalid('no threshold can be expressed for these scores');
  return { ...best, metTarget: best.accuracy >= target };
}

/** Rows no cheaper row matches in accuracy, by ascending cost. */
function frontier(rows: readonly TradeOffRow[]): TradeOffRow[] {
  const sorted = [...rows].sort((a, b) => a.costPerRow - b.costPerRow || b.accuracy - a.accuracy);
  const out: TradeOffRow[] = [];
  for (const r of sorted) if (out.length === 0 || r.accuracy > out[out.length - 1]!.accuracy) out.push(r);
  return out;
}

function evenlyPicked<T>(values: readonly T[], count: number): T[] {
  if (values.length <= count) return [...values];
  const out: T[] = [];
  for (let j = 0; j < count; j++) out.push(values[Math.round((j * (values.length - 1)) / (count - 1))]!);
  return out;
}

/** The largest P with P^dims ≤ limit (at least 2). */
function pointsPerStage(dims: number, rows: number): number {
  const limit = Math.min(MAX_GRID_CANDIDATES, Math.floor(MAX_GRID_ROW_EVALUATIONS / rows));
  let p = 2;
  while ((p + 1) ** dims <= limit && p + 1 <= MAX_TABLE_ROWS) p++;
  return p;
}

function* cartesian(axes: readonly number[][]): Generator<number[]> {
  const at = axes.map(() => 0);
  if (axes.some((a) => a.length === 0)) return;
  for (;;) {
    yield at.map((i, d) => axes[d]![i]!);
    let d = axes.length - 1;
    while (d >= 0 && ++at[d]! === axes[d]!.length) at[d--] = 0;
    if (d < 0) return;
  }
}

export function tuneCascade(input: TuneInput): TuneResult {
  checkInput(input);
  const target = input.targetAccuracy;
  const correct = correctPerStage(input);
  const accuracyPerStage = correct.map((ok) => ok.reduce((a, v) => a + v, 0) / input.labels.length);
  const nonFinal = input.stages.slice(0, -1);
  const maxima = input.maxThresholds ?? nonFinal.map(() => 1);
  const common = { rows: input.labels.length, targetAccuracy: target, accuracyPerStage };
  if (nonFinal.length === 1) {
    const at = twoStageSweep(input);
    const candidates = candidateThresholds(nonFinal[0]!.scores, maxima[0]!);
    const steps = input.tableRows ?? DEFAULT_TABLE_ROWS;
    const table = Array.from({ length: steps }, (_, j) => at((maxima[0]! * j) / (steps - 1)));
    return { ...common, table, recommended: pick(candidates.map(at), target), search: { kind: 'exact', candidates: candidates.length } };
  }
  const points = pointsPerStage(nonFinal.length, input.labels.length);
  const axes = nonFinal.map((s, i) => evenlyPicked(candidateThresholds(s.scores, maxima[i]!), points));
  const rows = Array.from(cartesian(axes), (t) => evaluateThresholds(input, t, correct));
  return { ...common, table: frontier(rows), recommended: pick(rows, target), search: { kind: 'grid', candidates: rows.length, pointsPerStage: points } };
}
