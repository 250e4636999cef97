import { z } from 'zod';
import { ServingError } from '../../errors/index.js';
import { deepFreeze } from '../../config/index.js';
import { optionsError } from './options.js';
import { MAX_FEATURES, TRAINING_STATS_FORMAT } from './stats.js';
import type { FeatureStats, TrainingStats } from './stats.js';

/**
 * Reads `training-stats.json` back. The file crosses a process boundary (written by the exporter,
 * read by the server, maybe edited by hand), so every invariant compare.ts relies on is checked here:
 * a file that passes cannot make a comparison throw.
 */

/** Bounds on what one file may hold, so a corrupt or hostile file cannot exhaust memory. */
const MAX_STATS_SAMPLE = 100_000;
const MAX_STATS_BINS = 100;
const MAX_STATS_CATEGORIES = 100_000;
/** Shares are sums of floats; they may miss 1 by rounding. */
const SHARE_SUM_TOLERANCE = 1e-6;

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);
const finiteOrNull = z.number().nullable();

const NumericSchema = z.strictObject({
  kind: z.literal('numeric'),
  count,
  missing: count,
  mean: finiteOrNull,
  std: finiteOrNull,
  min: finiteOrNull,
  max: finiteOrNull,
  edges: z.array(z.number()).max(MAX_STATS_BINS - 1),
  proportions: z.array(share).min(1).max(MAX_STATS_BINS),
  sample: z.array(z.number()).max(MAX_STATS_SAMPLE),
});

const CategoricalSchema = z.strictObject({
  kind: z.literal('categorical'),
  count,
  missing: count,
  categories: z.array(z.strictObject({ value: z.string(), share })).max(MAX_STATS_CATEGORIES),
  otherShare: share,
});

const TrainingStatsSchema = z.strictObject({
  format: z.string(),
  rows: count,
  features: z.record(z.string().min(1), z.discriminatedUnion('kind', [NumericSchema, CategoricalSchema])),
});

/**
 * Validates parsed JSON as TrainingStats and returns it frozen. Rejects anything else with
 * INVALID_CONFIG whose message names the field (`features.price.edges: …`).
 */
export function parseTrainingStats(json: unknown): TrainingStats {
  const source = 'training stats';
  if (json !== null && typeof json === 'object' && 'format' in json && json.format !== TRAINING_STATS_FORMAT) {
    const got = typeof json.format === 'string' ? `"${json.format.slice(0, 64)}"` : typeof json.format;
    throw new ServingError('INVALID_CONFIG', `${source}: format: unsupported format ${got}, this server reads "${TRAINING_STATS_FORMAT}"; re-export the model's training statistics`);
  }
  const features = json !== null && typeof json === 'object' && 'features' in json ? json.features : undefined;
  if (features !== null && typeof features === 'object' && Object.hasOwn(features, '__proto__')) {
    throw new ServingError('INVALID_CONFIG', `${source}: features.__proto__: "__proto__" is not a valid feature name`);
  }
  const parsed = TrainingStatsSchema.safeParse(json);
  if (!parsed.success) throw optionsError(source, parsed.error);
  const stats = parsed.data;
  const names = Object.keys(stats.features);
  if (names.length === 0 || names.length > MAX_FEATURES) {
    throw new ServingError('INVALID_CONFIG', `${source}: features: must hold 1…${MAX_FEATURES} features, got ${names.length}`);
  }
  for (const name of names) checkFeature(`${source}: features.${name}`, stats.features[name]!);
  return deepFreeze(stats as TrainingStats);
}

function checkFeature(at: string, f: FeatureStats): void {
  const fail = (field: string, what: string): never => {
    throw new ServingError('INVALID_CONFIG', `${at}.${field}: ${what}`);
  };
  if (f.kind === 'categorical') {
    const sum = f.categories.reduce((s, c) => s + c.share, f.otherShare);
    if (f.count > 0 && Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) fail('categories', `shares plus otherShare must sum to 1, got ${sum}`);
    if (new Set(f.categories.map((c) => c.value)).size !== f.categories.length) fail('categories', 'a category appears twice');
    return;
  }
  for (let k = 1; k < f.edges.length; k++) {
    if (!(f.edges[k]! > f.edges[k - 1]!)) fail('edges', 'must be strictly ascending');
  }
  if (f.proportions.length !== f.edges.length + 1) {
    fail('proportions', `must hold edges.length + 1 = ${f.edges.length + 1} shares, got ${f.proportions.length}`);
  }
  const sum = f.proportions.reduce((s, p) => s + p, 0);
  if (f.count > 0 && Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) fail('proportions', `must sum to 1, got ${sum}`);
  for (let k = 1; k < f.sample.length; k++) {
    if (f.sample[k]! < f.sample[k - 1]!) fail('sample', 'must be sorted ascending');
  }
  if (f.count > 0 && f.sample.length === 0) fail('sample', 'must not be empty when count > 0');
  if (f.sample.length > f.count) fail('sample', `holds ${f.sample.length} values but count is ${f.count}`);
}
