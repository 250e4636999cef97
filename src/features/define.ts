import { compileFeatureSet } from './compile.js';
import type { EntityAttributeType, FeatureInput, FeatureSetInput, FeatureSetSpec, SourceSpec, TransformInput } from './spec.js';

/**
 * The TypeScript way to write a feature set. Every function returns plain JSON (the spec in
 * spec.ts), and defineFeatureSet validates the whole set at once, so a mistake fails where the
 * set is defined, with INVALID_FEATURE_DEFINITION naming the feature:
 *
 *   defineFeatureSet({
 *     name: 'purchase',
 *     entities: { user: { keyField: 'user_id' }, product: { keyField: 'product_id' } },
 *     features: [
 *       numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.25 })], { default: 0 }),
 *       feature('query_tokens', request('query', { maxLength: 256 }), [normalize(), tokenize()]),
 *     ],
 *     tensors: [{ name: 'features', datatype: 'FP32', features: ['log_price'] }],
 *   })
 */
export function defineFeatureSet(input: FeatureSetInput): FeatureSetSpec {
  return compileFeatureSet(input).spec;
}

export interface FeatureOptions {
  /** What the model sees when the value is missing (see FeatureSchema.default). */
  default?: number | string | number[];
}

/** A feature: its name, its source, its transforms (applied in order) and its default. */
export function feature(name: string, source: SourceSpec, transforms: TransformInput[] = [], options: FeatureOptions = {}): FeatureInput {
  return { name, source, transforms, ...(options.default === undefined ? {} : { default: options.default }) };
}

/** Reads as intent: a feature whose value is a number (same as feature()). */
export const numeric = feature;
/** Reads as intent: a feature whose value is a category or text (same as feature()). */
export const categorical = feature;

// Sources

/** A field of the raw request (or event log row). */
export function request(field: string, options: { type?: 'string' | 'number'; maxLength?: number; required?: boolean } = {}): SourceSpec {
  const { type = 'string', ...rest } = options;
  return { kind: 'request', field, type, ...rest };
}

/** An attribute of an entity, looked up in the feature store by the id in the entity's key field. */
export function entity(name: string, attribute: string, type: EntityAttributeType = 'number'): SourceSpec {
  return { kind: 'entity', entity: name, attribute, type };
}

/** Language (`en`) or country (`US`) of the BCP-47 tag in a raw field (default `locale`). */
export function locale(part: 'language' | 'country', field?: string): SourceSpec {
  return { kind: 'locale', part, ...(field === undefined ? {} : { field }) };
}

/** Local hour (0–23), day of week (0 = Sunday) or weekend (0/1) of an ISO-8601 raw field (default `time`). */
export function localTime(part: 'hour' | 'dayOfWeek' | 'weekend', field?: string): SourceSpec {
  return { kind: 'time', part, ...(field === undefined ? {} : { field }) };
}

// Transforms (docs/features.md describes each, with its edge cases)

export const normalize = (options: { stripPunctuation?: boolean } = {}): TransformInput => ({ op: 'normalize', ...options });
export const tokenize = (options: { maxTokens?: number } = {}): TransformInput => ({ op: 'tokenize', ...options });
export const hash = (options: { buckets: number; salt?: string; output?: 'index' | 'oneHot' }): TransformInput => ({ op: 'hash', ...options });
export const bucketize = (boundaries: number[], options: { output?: 'index' | 'oneHot' } = {}): TransformInput => ({ op: 'bucketize', boundaries, ...options });
export const oneHot = (vocabulary: string[], options: { unknown?: 'zeros' | 'slot' } = {}): TransformInput => ({ op: 'oneHot', vocabulary, ...options });
export const scale = (options: { mul?: number; add?: number } | { mean: number; std: number }): TransformInput => ({ op: 'scale', ...options });
export const clip = (options: { min?: number; max?: number }): TransformInput => ({ op: 'clip', ...options });
export const log1p = (): TransformInput => ({ op: 'log1p' });
export const log = (): TransformInput => ({ op: 'log' });
export const sin = (options: { period: number }): TransformInput => ({ op: 'cyclic', fn: 'sin', period: options.period });
export const cos = (options: { period: number }): TransformInput => ({ op: 'cyclic', fn: 'cos', period: options.period });
export const count = (): TransformInput => ({ op: 'count' });
export const cross = (other: string, options: { buckets: number; salt?: string; output?: 'index' | 'oneHot' }): TransformInput => ({ op: 'cross', with: other, ...options });
export const overlap = (other: string): TransformInput => ({ op: 'overlap', with: other });
export const mapValue = (key: string, options: { absentValue?: number } = {}): TransformInput => ({ op: 'mapValue', key, ...options });
export const ratio = (other: string): TransformInput => ({ op: 'ratio', with: other });
