/**
 * Training/serving skew and drift of a model version's features (docs/skew.md).
 *
 * Contract
 * - Export time (the feature exporter): `summarize(features, rows, opts?)` reads the training rows
 *   once and returns `TrainingStats`, plain JSON with `format: 'skein-training-stats/1'`. Write
 *   `JSON.stringify(stats)` beside the model as `training-stats.json`. Memory is bounded by
 *   `sampleSize` and `maxCategories` per feature, not by the row count. A duplicate or reserved
 *   feature name is INVALID_FEATURE_DEFINITION; a value of the wrong type is INPUT_INVALID naming
 *   the row and feature; a bad option is INVALID_CONFIG naming the key.
 * - Load time (the server): `parseTrainingStats(JSON.parse(text))` validates the file and returns
 *   it frozen, or throws INVALID_CONFIG whose message names the field. A stats object that passed
 *   it (or came from summarize) never makes a comparison throw.
 * - Serving time: one `createSkewMonitor({stats, clock, ...})` per loaded version. Call
 *   `observe(vector, prediction?)` with the assembled feature vector (feature name → number,
 *   string or null) after each served row: it is O(features), never throws and never blocks, and
 *   keeps a random `sampleRate` share. `report()` compares training with every retained sample
 *   (the SkewReport for `GET /v2/models/{m}/skew`); `drift()` compares each closed window with
 *   the reference window. `counters()` gives monotonic totals (`observed`, `sampled`, `invalid`)
 *   and the current `retained` count. Memory: at most maxSamples × maxWindows vectors.
 *   A monitor is single-threaded state: call it from the event loop that serves the version,
 *   drop it when the version unloads. Reports are fresh objects the caller may keep.
 * - Offline: `compareToTraining(stats, rows, thresholds?)` is the same comparison as report()
 *   over a given array of served vectors; `psi` and `ksStatistic` are the two statistics alone.
 * - Status: a report or feature is `insufficient_data` (never flagged) below
 *   `thresholds.minSamples` (200) vectors; otherwise `flagged` when a check fires, with one
 *   reason per check, else `ok`. In FeatureSkew, `missingRate.reference` is the training missing
 *   rate in a skew report and the reference window's in a drift report.
 */
export { summarize, checkFeatureSpecs, TRAINING_STATS_FORMAT, OTHER_CATEGORY, DEFAULT_BINS, DEFAULT_MAX_CATEGORIES, DEFAULT_SAMPLE_SIZE } from './stats.js';
export type { FeatureKind, FeatureSpec, FeatureValue, FeatureRow, NumericStats, CategoricalStats, CategoryShare, FeatureStats, TrainingStats, SummarizeOptions } from './stats.js';
export { parseTrainingStats } from './parse.js';
export { psi, ksStatistic, compareToTraining, resolveThresholds, DEFAULT_SKEW_THRESHOLDS } from './compare.js';
export type { SkewThresholds, SkewStatus, KsResult, FeatureSkew, SkewReport, FeatureSample } from './compare.js';
export { createSkewMonitor } from './monitor.js';
export type { SkewMonitor, SkewMonitorOptions, SkewCounters, WindowInfo, WindowDrift, DriftReport } from './monitor.js';
