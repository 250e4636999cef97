import { ServingError } from '../errors/index.js';
import { ChainError, compileChain, type RefReader, type SparseColumns, type Value, type ValueType, type Widening } from './chain.js';
import { parseSpec } from './parse.js';
import { canonicalJson, schemaHashOf } from './hash.js';
import { DEFAULT_MAX_STRING_LENGTH, SPEC_LIMITS, type FeatureSetSpec, type FeatureSpec, type SourceSpec } from './spec.js';
import { asAttribute, type LocalTime, type Locale } from './values.js';

/**
 * A feature set checked beyond its schema (names unique, references to earlier features only,
 * types through every chain, tensor widths) and compiled to closures. Compiling is the only way
 * to get one, so a set that compiles is a set that runs. Compiled sets are immutable and safe to
 * share between concurrent assemblies.
 */

/** Entity ids longer than this are INVALID_RAW_INPUT. */
export const MAX_ENTITY_ID_LENGTH = 256;
/** Locale and time fields longer than this are INVALID_RAW_INPUT. */
export const MAX_TAG_LENGTH = 64;

export interface RawField {
  name: string;
  type: 'number' | 'string';
  maxLength: number;
  required: boolean;
  /** Parsed further: an ISO-8601 time, a BCP-47 locale, or an entity id. */
  parse: 'time' | 'locale' | 'key' | undefined;
}

/**
 * One raw row, checked and typed (see raw.ts), by raw field index (the order of rawFields):
 * arrays rather than maps by name, so that sources read a slot fixed at compile time.
 */
export interface RawRow {
  /** Each field's typed value; undefined when absent. */
  fields: readonly (number | string | undefined)[];
  /** Time fields: the parsed time (undefined elsewhere). */
  times: readonly (LocalTime | undefined)[];
  /** Locale fields: the parsed locale (undefined elsewhere). */
  locales: readonly (Locale | undefined)[];
}

/** What a feature's source reads: the raw row and, per entity (by index), its stored values. */
export interface SourceInput {
  raw: RawRow;
  entities: readonly (Readonly<Record<string, unknown>> | undefined)[];
}

export interface CompiledEntity {
  name: string;
  index: number;
  keyField: string;
  /** The key field's index in rawFields (and RawRow). */
  keyFieldIndex: number;
  required: boolean;
}

export interface CompiledFeature {
  name: string;
  index: number;
  /** For statistics: numeric when the recorded value is a number, else categorical. */
  kind: 'numeric' | 'categorical';
  /** The value's type before any widening step (what other features see of it). */
  type: ValueType;
  /** FP32 columns; 0 for string and token features. */
  width: number;
  source(input: SourceInput): Value | null;
  steps: ((v: Value, refs: RefReader) => Value | null)[];
  widening: Widening | undefined;
  /** FP32 columns written when the value is missing (length = width). */
  defaultColumns: Float32Array;
  /** BYTES value written when a string feature is missing. */
  defaultString: string;
  /**
   * Per-row cache slots of the value after the source (slots[0]) and after each step (slots[s+1]).
   * Features that read the same source through the same leading transforms share slots, so a
   * query normalized and tokenized by four features is computed once per row.
   */
  slots: readonly number[];
}

export interface CompiledTensor {
  name: string;
  datatype: 'FP32' | 'BYTES';
  /** Columns per row: the sum of its features' widths (FP32) or its feature count (BYTES). */
  width: number;
  features: { index: number; offset: number }[];
}

export interface CompiledFeatureSet {
  spec: FeatureSetSpec;
  schemaHash: string;
  entities: readonly CompiledEntity[];
  rawFields: readonly RawField[];
  features: readonly CompiledFeature[];
  tensors: readonly CompiledTensor[];
  /** Distinct (source, leading transforms) values per row: the size of computeRow's cache. */
  slotCount: number;
}

export type { SparseColumns };

function fail(feature: string, message: string): never {
  throw new ServingError('INVALID_FEATURE_DEFINITION', `feature "${feature}": ${message}`);
}

function failSet(message: string): never {
  throw new ServingError('INVALID_FEATURE_DEFINITION', message);
}

class RawFields {
  readonly byName = new Map<string, RawField & { declaredBy: string; index: number }>();

  /** Declares (or merges) a field; returns its index in rawFields, the order of first declaration. */
  declare(field: RawField, declaredBy: string): number {
    const seen = this.byName.get(field.name);
    if (!seen) {
      this.byName.set(field.name, { ...field, declaredBy, index: this.byName.size });
      return this.byName.size - 1;
    }
    if (seen.type !== field.type || (seen.parse !== field.parse && seen.parse !== undefined && field.parse !== undefined)) {
      failSet(`raw field "${field.name}" is read as ${field.parse ?? field.type} by ${declaredBy} but as ${seen.parse ?? seen.type} by ${seen.declaredBy}`);
    }
    seen.maxLength = Math.min(seen.maxLength, field.maxLength);
    seen.required ||= field.required;
    seen.parse ??= field.parse;
    return seen.index;
  }
}

function sourceOf(f: FeatureSpec, entities: ReadonlyMap<string, CompiledEntity>, raw: RawFields): { type: ValueType; read: CompiledFeature['source'] } {
  const s: SourceSpec = f.source;
  const by = `feature "${f.name}"`;
  switch (s.kind) {
    case 'request': {
      if (s.type === 'number' && s.maxLength !== undefined) fail(f.name, 'maxLength applies to string fields only');
      const at = raw.declare({ name: s.field, type: s.type, maxLength: s.maxLength ?? DEFAULT_MAX_STRING_LENGTH, required: s.required ?? false, parse: undefined }, by);
      return { type: s.type, read: (input) => input.raw.fields[at] ?? null };
    }
    case 'entity': {
      const entity = entities.get(s.entity);
      if (!entity) fail(f.name, `entity "${s.entity}" is not declared in entities`);
      const { attribute, type } = s;
      const at = entity.index;
      return {
        type,
        read: (input) => {
          const values = input.entities[at];
          return values !== undefined && Object.hasOwn(values, attribute) ? asAttribute(values[attribute], type) ?? null : null;
        },
      };
    }
    case 'locale': {
      const field = s.field ?? 'locale';
      const at = raw.declare({ name: field, type: 'string', maxLength: MAX_TAG_LENGTH, required: false, parse: 'locale' }, by);
      const part = s.part;
      return { type: 'string', read: (input) => input.raw.locales[at]?.[part] ?? null };
    }
    case 'time': {
      const field = s.field ?? 'time';
      const at = raw.declare({ name: field, type: 'string', maxLength: MAX_TAG_LENGTH, required: false, parse: 'time' }, by);
      const part = s.part;
      return {
        type: 'number',
        read: (input) => {
          const t = input.raw.times[at];
          if (!t) return null;
          if (part === 'weekend') return t.dayOfWeek === 0 || t.dayOfWeek === 6 ? 1 : 0;
          return t[part];
        },
      };
    }
  }
}

function defaultsOf(f: FeatureSpec, type: ValueType, width: number): { columns: Float32Array; text: string } {
  const d = f.default;
  const columns = new Float32Array(width);
  if (type === 'strings' && d !== undefined) fail(f.name, 'a token list never lands in a tensor, so it takes no default');
  if (type === 'string' && width === 0) {
    if (d !== undefined && typeof d !== 'string') fail(f.name, 'the value is a string, so its default must be a string');
    return { columns, text: d ?? '' };
  }
  if (typeof d === 'string') fail(f.name, 'the value is numeric, so its default must be a number (or one number per column)');
  if (Array.isArray(d)) {
    if (d.length !== width) fail(f.name, `the default lists ${d.length} numbers but the feature has ${width} columns`);
    columns.set(d);
  } else if (d !== undefined) columns.fill(d);
  return { columns, text: '' };
}

/**
 * Slots of one feature's intermediate values, keyed by the canonical JSON of its source and leading
 * transforms. Transforms are pure and referenced features precede the one that names them, so
 * equal keys mean equal values within a row.
 */
function slotsOf(f: FeatureSpec, registry: Map<string, number>, steps: number): number[] {
  let key = canonicalJson(f.source);
  const slot = (k: string): number => {
    let n = registry.get(k);
    if (n === undefined) registry.set(k, (n = registry.size));
    return n;
  };
  const slots = [slot(key)];
  for (const t of f.transforms ?? []) {
    key = `${key}\u0000${canonicalJson(t)}`;
    slots.push(slot(key));
  }
  // One step per transform, a widening one (if any) last: slots[s + 1] is transforms[s]'s value.
  if (slots.length - 1 < steps) throw new Error(`feature "${f.name}": ${steps} steps for ${slots.length - 1} transforms`);
  return slots;
}

function compileFeature(f: FeatureSpec, index: number, entities: ReadonlyMap<string, CompiledEntity>, raw: RawFields, earlier: ReadonlyMap<string, CompiledFeature>, registry: Map<string, number>): CompiledFeature {
  const source = sourceOf(f, entities, raw);
  let chain;
  try {
    chain = compileChain(source.type, f.transforms, (name) => {
      const target = earlier.get(name);
      if (!target) throw new ChainError(`names feature "${name}", which is not declared before this one`);
      return { index: target.index, type: target.type };
    });
  } catch (err) {
    if (err instanceof ChainError) fail(f.name, err.message);
    throw err;
  }
  if (chain.type === 'map' && !chain.widening) fail(f.name, 'the value is a map; end the chain with mapValue to pick one number');
  const width = chain.widening ? chain.widening.width : chain.type === 'number' ? 1 : 0;
  const recorded = chain.widening ? chain.widening.recordedType : chain.type;
  const defaults = defaultsOf(f, chain.widening ? 'number' : chain.type, width);
  return {
    name: f.name,
    index,
    kind: recorded === 'number' ? 'numeric' : 'categorical',
    type: chain.type,
    width,
    source: source.read,
    steps: chain.steps,
    widening: chain.widening,
    defaultColumns: defaults.columns,
    defaultString: defaults.text,
    slots: slotsOf(f, registry, chain.steps.length),
  };
}

function compileTensors(spec: FeatureSetSpec, byName: ReadonlyMap<string, CompiledFeature>): CompiledTensor[] {
  const names = new Set<string>();
  return spec.tensors.map((t) => {
    if (names.has(t.name)) failSet(`tensor "${t.name}" is declared twice`);
    names.add(t.name);
    let offset = 0;
    const features = t.features.map((name) => {
      const f = byName.get(name);
      if (!f) failSet(`tensor "${t.name}" lists feature "${name}", which is not declared`);
      if (t.datatype === 'BYTES' && (f.type !== 'string' || f.widening)) fail(name, `tensor "${t.name}" is BYTES, which holds string features only`);
      if (t.datatype === 'FP32' && f.width === 0) fail(name, `the value is ${f.type === 'strings' ? 'a token list' : 'a string'}, which cannot land in FP32 tensor "${t.name}"; hash, one-hot or count it, or use a BYTES tensor`);
      const at = { index: f.index, offset };
      offset += t.datatype === 'FP32' ? f.width : 1;
      return at;
    });
    if (offset > SPEC_LIMITS.maxTensorWidth) failSet(`tensor "${t.name}" is ${offset} columns wide; at most ${SPEC_LIMITS.maxTensorWidth}`);
    return { name: t.name, datatype: t.datatype, width: offset, features };
  });
}

/** Validates `input` (a spec object, e.g. parsed features.json) and compiles it. */
export function compileFeatureSet(input: unknown): CompiledFeatureSet {
  const spec = parseSpec(input);
  const raw = new RawFields();
  const entities = new Map<string, CompiledEntity>();
  for (const [name, e] of Object.entries(spec.entities)) {
    if (entities.size === SPEC_LIMITS.maxEntities) failSet(`a feature set declares at most ${SPEC_LIMITS.maxEntities} entities`);
    const required = e.required ?? false;
    const keyFieldIndex = raw.declare({ name: e.keyField, type: 'string', maxLength: MAX_ENTITY_ID_LENGTH, required, parse: 'key' }, `entity "${name}"`);
    entities.set(name, { name, index: entities.size, keyField: e.keyField, keyFieldIndex, required });
  }
  const byName = new Map<string, CompiledFeature>();
  const registry = new Map<string, number>();
  const features = spec.features.map((f, i) => {
    if (byName.has(f.name)) fail(f.name, 'declared twice; feature names are unique in a set');
    const compiled = compileFeature(f, i, entities, raw, byName, registry);
    byName.set(f.name, compiled);
    return compiled;
  });
  const tensors = compileTensors(spec, byName);
  const rawFields = [...raw.byName.values()].map(({ declaredBy: _by, index: _index, ...field }) => Object.freeze(field));
  return Object.freeze({
    spec,
    schemaHash: schemaHashOf(spec),
    entities: Object.freeze([...entities.values()]),
    rawFields: Object.freeze(rawFields),
    features: Object.freeze(features),
    tensors: Object.freeze(tensors),
    slotCount: registry.size,
  });
}

/** The features and their kinds, as the training statistics take them. */
export function featureKinds(set: CompiledFeatureSet): { name: string; kind: 'numeric' | 'categorical' }[] {
  return set.features.map((f) => ({ name: f.name, kind: f.kind }));
}
