import { z } from 'zod';

/**
 * A feature set as data: plain JSON, saved beside a model version as `features.json`. The zod
 * schema here checks shapes and bounds (unknown keys are rejected); `compileFeatureSet` then checks
 * what a schema cannot (names, references, types through each transform chain, tensor widths).
 * The TypeScript builder in define.ts produces exactly this shape.
 */

/** Feature, entity, tensor and field names. */
export const NAME_PATTERN = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Upper bounds a spec may declare; past them the spec is INVALID_FEATURE_DEFINITION. */
export const SPEC_LIMITS = {
  maxFeatures: 1024,
  maxEntities: 32,
  maxTensors: 64,
  maxTransforms: 32,
  maxBuckets: 1 << 20,
  maxVocabulary: 65_536,
  maxBoundaries: 4096,
  /** Columns of one FP32 tensor row (the sum of its features' widths). */
  maxTensorWidth: 1 << 20,
  maxStringLength: 1 << 20,
  maxTokens: 65_536,
} as const;

/** A raw string field longer than this is INVALID_RAW_INPUT unless its feature says otherwise. */
export const DEFAULT_MAX_STRING_LENGTH = 1024;
/** Tokens kept by `tokenize` unless it says otherwise; the rest are dropped. */
export const DEFAULT_MAX_TOKENS = 256;

const name = z.string().regex(NAME_PATTERN, 'must match [A-Za-z_][A-Za-z0-9_]* (at most 64 characters, not __proto__)');
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const RequestSourceSchema = z.strictObject({
  kind: z.literal('request'),
  field: name,
  type: z.enum(['number', 'string']),
  /** Strings only: longer values are INVALID_RAW_INPUT (default DEFAULT_MAX_STRING_LENGTH). */
  maxLength: int(1, SPEC_LIMITS.maxStringLength).optional(),
  /** An absent field is INVALID_RAW_INPUT instead of a missing value. */
  required: z.boolean().optional(),
});

export const ENTITY_ATTRIBUTE_TYPES = ['number', 'string', 'strings', 'map'] as const;
export type EntityAttributeType = (typeof ENTITY_ATTRIBUTE_TYPES)[number];

export const EntitySourceSchema = z.strictObject({
  kind: z.literal('entity'),
  entity: name,
  attribute: z.string().min(1).max(128),
  /** strings: a list of strings (a token list); map: string keys to numbers. */
  type: z.enum(ENTITY_ATTRIBUTE_TYPES),
});

export const LocaleSourceSchema = z.strictObject({
  kind: z.literal('locale'),
  /** The raw field holding a BCP-47 tag such as `en-US` (default `locale`). */
  field: name.optional(),
  part: z.enum(['language', 'country']),
});

export const TimeSourceSchema = z.strictObject({
  kind: z.literal('time'),
  /** The raw field holding an ISO-8601 time with an offset (default `time`). */
  field: name.optional(),
  part: z.enum(['hour', 'dayOfWeek', 'weekend']),
});

export const SourceSchema = z.discriminatedUnion('kind', [RequestSourceSchema, EntitySourceSchema, LocaleSourceSchema, TimeSourceSchema]);

const output = z.enum(['index', 'oneHot']).optional();
const finite = z.number();

export const TransformSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('normalize'), stripPunctuation: z.boolean().optional() }),
  z.strictObject({ op: z.literal('tokenize'), maxTokens: int(1, SPEC_LIMITS.maxTokens).optional() }),
  z.strictObject({ op: z.literal('hash'), buckets: int(1, SPEC_LIMITS.maxBuckets), salt: z.string().max(256).optional(), output }),
  z.strictObject({ op: z.literal('bucketize'), boundaries: z.array(finite).min(1).max(SPEC_LIMITS.maxBoundaries), output }),
  z.strictObject({
    op: z.literal('oneHot'),
    vocabulary: z.array(z.string().max(1024)).min(1).max(SPEC_LIMITS.maxVocabulary),
    unknown: z.enum(['zeros', 'slot']).optional(),
  }),
  z.strictObject({ op: z.literal('scale'), mul: finite.optional(), add: finite.optional(), mean: finite.optional(), std: finite.optional() }),
  z.strictObject({ op: z.literal('clip'), min: finite.optional(), max: finite.optional() }),
  z.strictObject({ op: z.literal('log1p') }),
  z.strictObject({ op: z.literal('log') }),
  z.strictObject({ op: z.literal('cyclic'), fn: z.enum(['sin', 'cos']), period: finite.positive() }),
  z.strictObject({ op: z.literal('count') }),
  z.strictObject({ op: z.literal('cross'), with: name, buckets: int(1, SPEC_LIMITS.maxBuckets), salt: z.string().max(256).optional(), output }),
  z.strictObject({ op: z.literal('overlap'), with: name }),
  z.strictObject({ op: z.literal('mapValue'), key: name, absentValue: finite.optional() }),
  z.strictObject({ op: z.literal('ratio'), with: name }),
]);

export const FeatureSchema = z.strictObject({
  name,
  source: SourceSchema,
  transforms: z.array(TransformSchema).max(SPEC_LIMITS.maxTransforms).default([]),
  /**
   * What the model sees when the value is missing: a number (every column of a multi-column
   * feature), one number per column, or a string (BYTES features). Absent: 0, or '' for strings.
   */
  default: z.union([finite, z.string().max(SPEC_LIMITS.maxStringLength), z.array(finite).min(1).max(SPEC_LIMITS.maxTensorWidth)]).optional(),
});

export const EntitySchema = z.strictObject({
  /** The raw field holding this entity's id (a string, or a number taken as its decimal text). */
  keyField: name,
  /** An absent key is INVALID_RAW_INPUT; otherwise it is a missing entity (defaults, counted). */
  required: z.boolean().optional(),
});

export const TensorSchema = z.strictObject({
  name: z.string().min(1).max(256),
  /** FP32: numeric features, [rows, columns]. BYTES: string features, [rows, features]. */
  datatype: z.enum(['FP32', 'BYTES']),
  features: z.array(name).min(1).max(SPEC_LIMITS.maxFeatures),
});

export const FeatureSetSchema = z.strictObject({
  name,
  description: z.string().max(4096).optional(),
  entities: z.record(name, EntitySchema).default({}),
  features: z.array(FeatureSchema).min(1).max(SPEC_LIMITS.maxFeatures),
  tensors: z.array(TensorSchema).min(1).max(SPEC_LIMITS.maxTensors),
});

export type RequestSource = z.output<typeof RequestSourceSchema>;
export type EntitySource = z.output<typeof EntitySourceSchema>;
export type LocaleSource = z.output<typeof LocaleSourceSchema>;
export type TimeSource = z.output<typeof TimeSourceSchema>;
export type SourceSpec = z.output<typeof SourceSchema>;
export type TransformSpec = z.output<typeof TransformSchema>;
export type FeatureSpec = z.output<typeof FeatureSchema>;
export type EntitySpec = z.output<typeof EntitySchema>;
export type FeatureTensorSpec = z.output<typeof TensorSchema>;
/** A validated feature set; what features.json holds (besides `schemaHash`). */
export type FeatureSetSpec = z.output<typeof FeatureSetSchema>;
/** What a spec may be written as before validation (defaults may be left out). */
export type FeatureSetInput = z.input<typeof FeatureSetSchema>;
export type FeatureInput = z.input<typeof FeatureSchema>;
export type TransformInput = z.input<typeof TransformSchema>;
