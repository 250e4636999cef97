/**
 * The feature pipeline: one feature set definition, two uses. The exporter turns event logs into
 * point-in-time correct training rows; the assembler turns raw requests into the model's input
 * tensors; both run the same code (row.ts). docs/features.md is the user guide.
 */
export {
  defineFeatureSet, feature, numeric, categorical, request, entity, locale, localTime,
  normalize, tokenize, hash, bucketize, oneHot, scale, clip, log1p, log, sin, cos, count, cross, overlap, mapValue, ratio,
} from './define.js';
export type { FeatureOptions } from './define.js';
export {
  FeatureSetSchema, NAME_PATTERN, SPEC_LIMITS, DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_TOKENS, ENTITY_ATTRIBUTE_TYPES,
} from './spec.js';
export type {
  FeatureSetSpec, FeatureSetInput, FeatureSpec, FeatureInput, SourceSpec, TransformSpec, TransformInput, EntitySpec,
  FeatureTensorSpec, EntityAttributeType, RequestSource, EntitySource, LocaleSource, TimeSource,
} from './spec.js';
export { compileFeatureSet, featureKinds, MAX_ENTITY_ID_LENGTH, MAX_TAG_LENGTH } from './compile.js';
export type { CompiledFeatureSet, CompiledFeature, CompiledTensor, CompiledEntity, RawField } from './compile.js';
export { canonicalJson, schemaHashOf } from './hash.js';
export { FEATURES_FILE, saveFeatureSet, loadFeatureSet, parseFeatureSetJson } from './files.js';
export { normalizeText, fnv1a32, hashBucket, hashBag, bucketIndex, oneHotIndex, crossKey, overlapShare } from './transforms.js';
export { parseIsoTime, parseLocale, parseInstantMs } from './values.js';
export type { LocalTime, Locale } from './values.js';
export { createFeatureAssembler, DEFAULT_LOOKUP_TIMEOUT_MS, DEFAULT_MAX_ASSEMBLE_ROWS } from './assemble.js';
export type { FeatureAssembler, FeatureAssemblerOptions, AssembledBatch } from './assemble.js';
export { createFeatureMetrics } from './metrics.js';
export type { FeatureMetrics } from './metrics.js';
export { createFeatureStore, SqliteFeatureStore, RedisFeatureStore, FEATURE_STORE_BATCH_MAX } from './store/index.js';
export type { FeatureStore, FeatureStoreOptions, EntityRecord, EntityUpdate, PutResult } from './store/index.js';
export { ingestEntities } from './ingest.js';
export type { IngestOptions, IngestSummary } from './ingest.js';
export { exportTrainingRows, TRAINING_STATS_FILE, CSV_FIXED_COLUMNS } from './export.js';
export type { ExportOptions, ExportSummary, EntityLogOptions } from './export.js';
export { RECORD_FORMATS } from './records.js';
export type { RecordFormat } from './records.js';
export { createFeatureServing, checkFits, DEFAULT_MAX_SERVED_VERSIONS, DEFAULT_RETRY_MISSING_MS, DEFAULT_REPORT_MIN_INTERVAL_MS } from './serving.js';
export type { FeatureServing, FeatureServingOptions, ServedFeatures, VersionRef } from './serving.js';
export { planWatch, watchedVector, rowPredictions, MAX_WATCHED_STRING_LENGTH } from './watch.js';
export type { WatchPlan } from './watch.js';
export { createCoalescingStore, DEFAULT_MAX_PENDING_IDS } from './coalesce.js';
export type { CoalescingOptions } from './coalesce.js';
