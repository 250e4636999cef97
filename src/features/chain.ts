import type { TransformSpec } from './spec.js';
import {
  bucketIndex, clip, crossKey, cyclic, finiteOrNull, hashBag, hashBucket, log, log1p, mapValue, normalizeText, oneHotIndex,
  overlapShare, ratio, scale, tokenize,
} from './transforms.js';
import { DEFAULT_MAX_TOKENS } from './spec.js';

/**
 * A feature's transform chain, type-checked once and compiled to closures. Values flow as
 * number | string | string[] (tokens) | map (string → number) | null (missing). At most one
 * widening transform (one-hot, hash into a one-hot or a bag, bucketize into a one-hot) may come,
 * and only last: it turns the value into several FP32 columns.
 */
export type ValueType = 'number' | 'string' | 'strings' | 'map';
export type Value = number | string | readonly string[] | Readonly<Record<string, number>>;

/**
 * The values of the current row's features so far, by feature index (before their defaults;
 * null = missing): what a transform naming another feature reads. An array rather than a reader
 * function, so that computing a row makes no closure.
 */
export type RefReader = readonly (Value | null)[];

const refOfRow = (refs: RefReader, index: number): Value | null => refs[index] ?? null;

/** Columns a widening step sets in its feature's slice; every other column is 0. */
export interface SparseColumns {
  indices: number[];
  values: number[];
}

export interface Widening {
  width: number;
  /** What the vectors record for the feature: the category, the tokens joined, or the bucket. */
  recordedType: 'number' | 'string';
  apply(v: Value, refs: RefReader): { recorded: number | string; columns: SparseColumns } | null;
}

export interface CompiledChain {
  /** The type the chain ends in, before any widening step. */
  type: ValueType;
  steps: ((v: Value, refs: RefReader) => Value | null)[];
  widening: Widening | undefined;
}

/** A feature earlier in the set, as a transform that names it sees it. */
export interface RefTarget {
  index: number;
  type: ValueType;
}

export class ChainError extends Error {}

function expect(t: TransformSpec, at: ValueType, allowed: readonly ValueType[]): void {
  if (!allowed.includes(at)) {
    throw new ChainError(`transform ${t.op} takes ${allowed.join(' or ')}, but the value here is ${at}`);
  }
}

type Step = CompiledChain['steps'][number];
type Ref = (name: string) => RefTarget;

function refOf(t: TransformSpec & { op: string }, name: string, ref: Ref, allowed: readonly ValueType[]): RefTarget {
  const target = ref(name);
  if (!allowed.includes(target.type)) {
    throw new ChainError(`transform ${t.op} needs feature "${name}" to be ${allowed.join(' or ')}, but it is ${target.type}`);
  }
  return target;
}

const sparseOne = (index: number): SparseColumns => ({ indices: [index], values: [1] });
const widenIndex = (width: number, recordedType: 'number' | 'string', pick: (v: Value, refs: RefReader) => { recorded: number | string; index: number } | null): Widening => ({
  width,
  recordedType,
  apply(v, refs) {
    const r = pick(v, refs);
    if (r === null) return null;
    return { recorded: r.recorded, columns: r.index < 0 ? { indices: [], values: [] } : sparseOne(r.index) };
  },
});

function scaleStep(t: Extract<TransformSpec, { op: 'scale' }>): Step {
  const standard = t.mean !== undefined || t.std !== undefined;
  if (standard && (t.mul !== undefined || t.add !== undefined)) throw new ChainError('scale takes either mul/add or mean/std, not both');
  if (standard) {
    if (t.mean === undefined || t.std === undefined || t.std <= 0) throw new ChainError('scale with mean/std needs both, and std > 0');
    const mean = t.mean;
    const std = t.std;
    return (v) => scale(v as number, 1 / std, -mean / std);
  }
  const mul = t.mul ?? 1;
  const add = t.add ?? 0;
  return (v) => scale(v as number, mul, add);
}

type StepOut = { type: ValueType; step: Step } | { widening: Widening };

/** Text: normalize, tokenize, hash, oneHot. */
function textStep(t: Extract<TransformSpec, { op: 'normalize' | 'tokenize' | 'hash' | 'oneHot' }>, at: ValueType): StepOut {
  switch (t.op) {
    case 'normalize': {
      expect(t, at, ['string']);
      const strip = t.stripPunctuation ?? false;
      return { type: 'string', step: (v) => normalizeText(v as string, strip) };
    }
    case 'tokenize': {
      expect(t, at, ['string']);
      const max = t.maxTokens ?? DEFAULT_MAX_TOKENS;
      return { type: 'strings', step: (v) => tokenize(v as string, max) };
    }
    case 'hash': {
      expect(t, at, ['string', 'strings']);
      const { buckets } = t;
      const salt = t.salt ?? '';
      if (at === 'strings') {
        if (t.output === 'index') throw new ChainError('hash of tokens is a bag of buckets; output index needs a string');
        return {
          widening: {
            width: buckets,
            recordedType: 'string',
            apply(v) {
              const tokens = v as readonly string[];
              const bag = hashBag(tokens, buckets, salt);
              return { recorded: tokens.join(' '), columns: { indices: [...bag.keys()], values: [...bag.values()] } };
            },
          },
        };
      }
      if (t.output === 'oneHot') return { widening: widenIndex(buckets, 'string', (v) => ({ recorded: v as string, index: hashBucket(v as string, buckets, salt) })) };
      return { type: 'number', step: (v) => hashBucket(v as string, buckets, salt) };
    }
    case 'oneHot': {
      expect(t, at, ['string']);
      const vocabulary = new Map<string, number>();
      for (const word of t.vocabulary) {
        if (vocabulary.has(word)) throw new ChainError(`oneHot vocabulary lists "${word.slice(0, 64)}" twice`);
        vocabulary.set(word, vocabulary.size);
      }
      const unknown = t.unknown ?? 'zeros';
      const width = vocabulary.size + (unknown === 'slot' ? 1 : 0);
      return { widening: widenIndex(width, 'string', (v) => ({ recorded: v as string, index: oneHotIndex(v as string, vocabulary, unknown) })) };
    }
  }
}

/** Numbers: bucketize, scale, clip, log1p, log, cyclic, count. */
function numberStep(t: Extract<TransformSpec, { op: 'bucketize' | 'scale' | 'clip' | 'log1p' | 'log' | 'cyclic' | 'count' }>, at: ValueType): StepOut {
  if (t.op === 'count') {
    expect(t, at, ['strings']);
    return { type: 'number', step: (v) => (v as readonly string[]).length };
  }
  expect(t, at, ['number']);
  switch (t.op) {
    case 'bucketize': {
      const b = t.boundaries;
      for (let i = 1; i < b.length; i++) if (!(b[i]! > b[i - 1]!)) throw new ChainError('bucketize boundaries must be strictly increasing');
      if (t.output === 'oneHot') return { widening: widenIndex(b.length + 1, 'number', (v) => ({ recorded: v as number, index: bucketIndex(v as number, b) })) };
      return { type: 'number', step: (v) => bucketIndex(v as number, b) };
    }
    case 'scale':
      return { type: 'number', step: scaleStep(t) };
    case 'clip': {
      if (t.min === undefined && t.max === undefined) throw new ChainError('clip needs min, max or both');
      const min = t.min ?? -Infinity;
      const max = t.max ?? Infinity;
      if (min > max) throw new ChainError('clip needs min ≤ max');
      return { type: 'number', step: (v) => clip(v as number, min, max) };
    }
    case 'log1p':
      return { type: 'number', step: (v) => log1p(v as number) };
    case 'log':
      return { type: 'number', step: (v) => log(v as number) };
    case 'cyclic': {
      const { period, fn } = t;
      return { type: 'number', step: (v) => finiteOrNull(cyclic(v as number, period, fn)) };
    }
  }
}

/** Two values, this one and another feature's: cross, overlap, mapValue, ratio. */
function pairStep(t: Extract<TransformSpec, { op: 'cross' | 'overlap' | 'mapValue' | 'ratio' }>, at: ValueType, ref: Ref): StepOut {
  switch (t.op) {
    case 'cross': {
      expect(t, at, ['string', 'number']);
      const other = refOf(t, t.with, ref, ['string', 'number']);
      const { buckets } = t;
      const salt = t.salt ?? '';
      const bucket = (v: Value, refs: RefReader): number | null => {
        const o = refOfRow(refs, other.index);
        return o === null ? null : hashBucket(crossKey(v as string | number, o as string | number), buckets, salt);
      };
      if (t.output === 'oneHot') {
        return { widening: widenIndex(buckets, 'number', (v, refs) => { const b = bucket(v, refs); return b === null ? null : { recorded: b, index: b }; }) };
      }
      return { type: 'number', step: bucket };
    }
    case 'overlap': {
      expect(t, at, ['strings']);
      const other = refOf(t, t.with, ref, ['strings']);
      return { type: 'number', step: (v, refs) => { const o = refOfRow(refs, other.index); return o === null ? null : overlapShare(v as readonly string[], o as readonly string[]); } };
    }
    case 'mapValue': {
      expect(t, at, ['map']);
      const key = refOf(t, t.key, ref, ['string', 'number']);
      const absent = t.absentValue;
      return { type: 'number', step: (v, refs) => { const k = refOfRow(refs, key.index); return k === null ? null : mapValue(v as Record<string, number>, String(k), absent); } };
    }
    case 'ratio': {
      expect(t, at, ['number']);
      const other = refOf(t, t.with, ref, ['number']);
      return { type: 'number', step: (v, refs) => { const o = refOfRow(refs, other.index); return o === null ? null : ratio(v as number, o as number); } };
    }
  }
}

/** One step: its output type and closure, or the widening it ends the chain with. */
function compileStep(t: TransformSpec, at: ValueType, ref: Ref): StepOut {
  switch (t.op) {
    case 'normalize': case 'tokenize': case 'hash': case 'oneHot':
      return textStep(t, at);
    case 'cross': case 'overlap': case 'mapValue': case 'ratio':
      return pairStep(t, at, ref);
    default:
      return numberStep(t, at);
  }
}

/** Type-checks and compiles a chain; throws ChainError naming the transform. */
export function compileChain(sourceType: ValueType, transforms: readonly TransformSpec[], ref: Ref): CompiledChain {
  let type = sourceType;
  const steps: Step[] = [];
  let widening: Widening | undefined;
  transforms.forEach((t, i) => {
    const where = `transforms[${i}] (${t.op})`;
    if (widening) throw new ChainError(`${where} follows a transform that widens to several columns; that one must come last`);
    let out: StepOut;
    try {
      out = compileStep(t, type, ref);
    } catch (err) {
      if (err instanceof ChainError) throw new ChainError(`${where}: ${err.message}`);
      throw err;
    }
    if ('widening' in out) widening = out.widening;
    else {
      type = out.type;
      steps.push(out.step);
    }
  });
  return { type, steps, widening };
}
