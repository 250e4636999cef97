import { OTHER_CATEGORY, type FeatureKind, type FeatureValue, type TrainingStats } from '../monitoring/index.js';
import { redactString } from '../privacy/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CompiledFeatureSet } from './compile.js';

/**
 * What of a served feature vector the skew monitor may keep (privacy rules, docs/security.md).
 * The monitor holds sampled vectors in memory for its whole life and shows up to ten unseen
 * categories per feature in GET /skew, so raw text must never reach it:
 *   - numeric features are kept as they are;
 *   - token lists (free text: a query, a title) are never watched; numbers derived from them
 *     (an overlap, a count) are;
 *   - a categorical feature read from a raw request field is watched only when it ends in a
 *     one-hot: values outside its vocabulary become `__other__`. Without one, it is free text
 *     the caller typed, and it is not watched;
 *   - any other string value (entity attributes, locale parts) longer than 64 characters, or one
 *     holding an e-mail address, a card number or a bearer token, becomes `__other__`.
 * A value replaced by `__other__` lands in the reference's other bin, as a rare category does.
 */
export const MAX_WATCHED_STRING_LENGTH = 64;

interface WatchedFeature {
  name: string;
  kind: FeatureKind;
  /** Categorical features of request fields: the one-hot vocabulary; other values become __other__. */
  vocabulary: ReadonlySet<string> | undefined;
}

export interface WatchPlan {
  watched: readonly WatchedFeature[];
  /** Features of the training statistics left out, with why (for the skew route). */
  unwatched: Readonly<Record<string, string>>;
  /** The training statistics of the watched features only: what the monitor is built on. */
  stats: TrainingStats;
}

export function planWatch(set: CompiledFeatureSet, stats: TrainingStats): WatchPlan {
  const watched: WatchedFeature[] = [];
  const unwatched: Record<string, string> = {};
  const byName = new Map(set.features.map((f) => [f.name, f]));
  for (const [name, st] of Object.entries(stats.features)) {
    const f = byName.get(name);
    if (f === undefined) {
      unwatched[name] = 'not in the feature set';
      continue;
    }
    if (f.kind !== st.kind) {
      unwatched[name] = `the training statistics say ${st.kind}, the feature set ${f.kind}`;
      continue;
    }
    if (f.kind === 'numeric') {
      watched.push({ name, kind: 'numeric', vocabulary: undefined });
      continue;
    }
    if (f.type === 'strings') {
      unwatched[name] = 'a token list (free text)';
      continue;
    }
    const spec = set.spec.features[f.index]!;
    if (spec.source.kind !== 'request') {
      watched.push({ name, kind: 'categorical', vocabulary: undefined });
      continue;
    }
    const last = spec.transforms.at(-1);
    if (last?.op !== 'oneHot') {
      unwatched[name] = 'text of a request field without a one-hot vocabulary';
      continue;
    }
    watched.push({ name, kind: 'categorical', vocabulary: new Set(last.vocabulary) });
  }
  const features = Object.fromEntries(watched.map((w) => [w.name, stats.features[w.name]!]));
  return { watched, unwatched, stats: { format: stats.format, rows: stats.rows, features } };
}

function watchedString(value: string, vocabulary: ReadonlySet<string> | undefined): string {
  if (vocabulary !== undefined) return vocabulary.has(value) ? value : OTHER_CATEGORY;
  if (value.length > MAX_WATCHED_STRING_LENGTH || redactString(value) !== value) return OTHER_CATEGORY;
  return value;
}

/** The part of one assembled vector the monitor may keep (a fresh object; the input is not changed). */
export function watchedVector(plan: WatchPlan, vector: Readonly<Record<string, number | string | null>>): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  for (const w of plan.watched) {
    const v = vector[w.name];
    out[w.name] = typeof v === 'string' && w.kind === 'categorical' ? watchedString(v, w.vocabulary) : v;
  }
  return out;
}

const NOT_NUMERIC: ReadonlySet<string> = new Set(['BYTES', 'FP16', 'BF16']);

/**
 * The prediction of each row for drift: the first value of the row in the first output, when
 * that output is numeric; undefined otherwise (BYTES outputs, a shape that does not split by row).
 */
export function rowPredictions(outputs: readonly Tensor[], rows: number): (number | undefined)[] {
  const first = outputs[0];
  const none = new Array<number | undefined>(rows).fill(undefined);
  // FP16/BF16 travel as raw bit patterns, BYTES as text: neither is a number to compare.
  if (first === undefined || rows === 0 || Array.isArray(first.data) || NOT_NUMERIC.has(first.datatype)) return none;
  const data = first.data as ArrayLike<number | bigint>;
  const perRow = data.length / rows;
  if (!Number.isInteger(perRow) || perRow < 1) return none;
  return none.map((_, i) => {
    const v = Number(data[i * perRow]!);
    return Number.isFinite(v) ? v : undefined;
  });
}
