import { z } from 'zod';
import { ServingError } from '../../errors/index.js';
import { systemClock } from '../../util/index.js';
import type { Clock } from '../../util/index.js';
import { createCategoricalAccumulator, createNumericAccumulator, normalizeValue } from './accumulate.js';
import type { NormalizedValue } from './accumulate.js';
import { buildReport, compareFeature, resolveThresholds } from './compare.js';
import type { FeatureSkew, SkewReport, SkewStatus, SkewThresholds } from './compare.js';
import { optionsError } from './options.js';
import { DEFAULT_BINS, TRAINING_STATS_FORMAT } from './stats.js';
import type { FeatureKind, FeatureStats, FeatureValue, TrainingStats } from './stats.js';

export interface SkewMonitorOptions {
  /** The version's training statistics (from parseTrainingStats or summarize). */
  stats: TrainingStats;
  clock?: Clock;
  /** Share of observed vectors kept as samples, 0…1 (default 1). */
  sampleRate?: number;
  /** Vectors kept per window, a uniform reservoir of the window's sampled vectors (default 5000). */
  maxSamples?: number;
  /** Length of one drift window (default 5 minutes). */
  windowMs?: number;
  /** Windows held: the reference, the open one and maxWindows − 2 closed ones (default 12, at least 3). */
  maxWindows?: number;
  thresholds?: Partial<SkewThresholds>;
  /** Uniform in [0, 1); Math.random by default. Tests pass a seeded one. */
  random?: () => number;
}

/** Monotonic totals since creation, to export as counters. */
export interface SkewCounters {
  /** Vectors passed to observe(). */
  observed: number;
  /** Vectors kept by sampleRate (before each window's reservoir thins them). */
  sampled: number;
  /** Values of the wrong type in sampled vectors, counted as missing. */
  invalid: number;
  /** Vectors held now, across all windows: at most maxSamples × maxWindows. */
  retained: number;
}

export interface WindowInfo {
  /** On the injected clock's scale (the window is [startMs, endMs)). */
  startMs: number;
  endMs: number;
  /** Vectors observed and sampled in the window, and kept by its reservoir (≤ maxSamples). */
  observed: number;
  sampled: number;
  samples: number;
}

export interface WindowDrift extends WindowInfo {
  /** now − endMs. */
  ageMs: number;
  status: SkewStatus;
  /** Flagged feature names, and 'prediction' when the prediction drifted. */
  flagged: string[];
  features: Record<string, FeatureSkew>;
  /** null when neither the reference nor this window carried predictions. */
  prediction: FeatureSkew | null;
}

export interface DriftReport {
  /** The newest closed window's status; insufficient_data while there is no reference or no closed window after it. */
  status: SkewStatus;
  windowMs: number;
  thresholds: SkewThresholds;
  /** The first closed window with at least minSamples samples; kept for the monitor's life. */
  reference: WindowInfo | null;
  /** Closed windows after the reference that saw traffic, oldest first; empty windows are not listed. */
  windows: WindowDrift[];
}

export interface SkewMonitor {
  /** Cheap, never throws: a wrong-typed value counts as missing (and in `invalid`). */
  observe(vector: Readonly<Record<string, FeatureValue>>, prediction?: number): void;
  /** Training statistics against every retained sample (reference, closed and open windows). */
  report(): SkewReport;
  /** Each closed window against the reference window, per feature and for the prediction. */
  drift(): DriftReport;
  counters(): SkewCounters;
}

interface StoredRow {
  values: NormalizedValue[];
  prediction: number | null;
}

interface Window {
  index: number;
  observed: number;
  sampled: number;
  rows: StoredRow[];
}

interface ReferenceStats {
  features: FeatureStats[];
  prediction: FeatureStats;
}

const OptionsSchema = z.strictObject({
  stats: z.custom<TrainingStats>((v) => typeof v === 'object' && v !== null && (v as TrainingStats).format === TRAINING_STATS_FORMAT, {
    message: `must be training statistics from parseTrainingStats or summarize (format "${TRAINING_STATS_FORMAT}")`,
  }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).default(systemClock),
  sampleRate: z.number().min(0).max(1).default(1),
  maxSamples: z.number().int().min(1).max(1_000_000).default(5000),
  windowMs: z.number().int().min(1).default(5 * 60_000),
  maxWindows: z.number().int().min(3).max(1000).default(12),
  thresholds: z.custom<Partial<SkewThresholds>>((v) => typeof v === 'object' && v !== null).optional(),
  random: z.custom<() => number>((v) => typeof v === 'function', { message: 'must be a function' }).default(() => Math.random),
});

export function createSkewMonitor(options: SkewMonitorOptions): SkewMonitor {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) throw optionsError('skew monitor options', parsed.error);
  const { stats, clock, sampleRate, maxSamples, windowMs, maxWindows, random } = parsed.data;
  const t = resolveThresholds(parsed.data.thresholds);
  if (t.minSamples > maxSamples) {
    throw new ServingError('INVALID_CONFIG', `skew monitor options: thresholds.minSamples (${t.minSamples}) exceeds maxSamples (${maxSamples}), so no window could ever be compared`);
  }
  const names = Object.keys(stats.features);
  const kinds: FeatureKind[] = names.map((n) => stats.features[n]!.kind);
  const originMs = clock.now();
  const counters: SkewCounters = { observed: 0, sampled: 0, invalid: 0, retained: 0 };
  let open: Window = newWindow(0);
  let reference: Window | null = null;
  let referenceStats: ReferenceStats | null = null;
  /** Closed windows, oldest first; two slots of maxWindows go to the reference and the open window. */
  const closed: Window[] = [];

  function newWindow(index: number): Window {
    return { index, observed: 0, sampled: 0, rows: [] };
  }

  /** Closes the open window once the clock has left it. Lazy: no timers to cancel. */
  function rotate(): void {
    const index = Math.floor((clock.now() - originMs) / windowMs);
    if (index <= open.index) return;
    if (reference === null && open.rows.length >= t.minSamples) reference = open;
    else if (open.observed > 0) closed.push(open);
    while (closed.length > maxWindows - 2) closed.shift();
    open = newWindow(index);
    counters.retained = (reference?.rows.length ?? 0) + closed.reduce((s, w) => s + w.rows.length, 0);
  }

  function observe(vector: Readonly<Record<string, FeatureValue>>, prediction?: number): void {
    rotate();
    counters.observed++;
    open.observed++;
    if (!(random() < sampleRate)) return;
    counters.sampled++;
    open.sampled++;
    const isObject = vector !== null && typeof vector === 'object';
    const values = names.map((name, i) => {
      const v = normalizeValue(kinds[i]!, isObject && Object.hasOwn(vector, name) ? vector[name] : undefined);
      if (v !== undefined) return v;
      counters.invalid++;
      return null;
    });
    const row: StoredRow = { values, prediction: typeof prediction === 'number' && Number.isFinite(prediction) ? prediction : null };
    // Algorithm R: after n sampled vectors each one is held with probability maxSamples / n.
    if (open.rows.length < maxSamples) {
      open.rows.push(row);
      counters.retained++;
      return;
    }
    const j = Math.floor(random() * open.sampled);
    if (j < maxSamples) open.rows[j] = row;
  }

  function report(): SkewReport {
    rotate();
    const rows = [...(reference ? [reference] : []), ...closed, open].flatMap((w) => w.rows);
    const column = (name: string) => {
      const i = names.indexOf(name);
      return rows.map((r) => r.values[i]!);
    };
    return buildReport(stats, names, rows.length, column, t);
  }

  function drift(): DriftReport {
    rotate();
    const nowMs = clock.now();
    const info = (w: Window): WindowInfo => ({
      startMs: originMs + w.index * windowMs,
      endMs: originMs + (w.index + 1) * windowMs,
      observed: w.observed,
      sampled: w.sampled,
      samples: w.rows.length,
    });
    if (reference === null) return { status: 'insufficient_data', windowMs, thresholds: t, reference: null, windows: [] };
    referenceStats ??= summarizeWindow(reference, kinds, random);
    const ref = referenceStats;
    const windows = closed
      .filter((w) => w.index > reference!.index)
      .map((w): WindowDrift => {
        const entries = names.map((name, i) => [name, compareFeature(ref.features[i]!, w.rows.map((r) => r.values[i]!), t)] as const);
        const hasPredictions = ref.prediction.count > 0 || w.rows.some((r) => r.prediction !== null);
        const prediction = hasPredictions ? compareFeature(ref.prediction, w.rows.map((r) => r.prediction), t) : null;
        const flagged = entries.filter(([, f]) => f.flagged).map(([name]) => name);
        if (prediction?.flagged) flagged.push('prediction');
        const status: SkewStatus = w.rows.length < t.minSamples ? 'insufficient_data' : flagged.length > 0 ? 'flagged' : 'ok';
        const at = info(w);
        return { ...at, ageMs: nowMs - at.endMs, status, flagged, features: Object.fromEntries(entries), prediction };
      });
    const status = windows.at(-1)?.status ?? 'insufficient_data';
    return { status, windowMs, thresholds: t, reference: info(reference), windows };
  }

  return { observe, report, drift, counters: () => ({ ...counters }) };
}

/**
 * The reference window as statistics: its own decile edges and categories, and every value as the
 * KS sample (a window holds at most maxSamples, so nothing is subsampled again).
 */
function summarizeWindow(w: Window, kinds: readonly FeatureKind[], random: () => number): ReferenceStats {
  const size = Math.max(1, w.rows.length);
  const features = kinds.map((kind, i) => {
    const acc = kind === 'numeric' ? createNumericAccumulator(size, random) : createCategoricalAccumulator(size);
    for (const r of w.rows) acc.add(r.values[i]!);
    return acc.finish(DEFAULT_BINS);
  });
  const acc = createNumericAccumulator(size, random);
  for (const r of w.rows) acc.add(r.prediction);
  return { features, prediction: acc.finish(DEFAULT_BINS) };
}
