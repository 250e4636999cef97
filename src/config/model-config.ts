import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ServingError } from '../errors/index.js';
import { parseWith } from './format.js';

/**
 * `<repo>/<model>/config.yaml`. Everything is optional: the signature comes from the model file.
 * Limits are named with their unit; docs/config.md documents every key.
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const BatchingSchema = z.strictObject({
  /** How long to hold a partial batch to reach a preferred size; 0 = never wait. */
  maxQueueDelayMs: z.number().min(0).max(10_000).default(0),
  preferredBatchSizes: z.array(int(1, 65_536)).max(16).default([]),
  /** Requests waiting (not running) per version; one past it answers QUEUE_FULL at once. */
  maxQueueSize: int(1, 1_000_000).default(1024),
  /** Queue timeout for requests that set none; 0 = no timeout. */
  defaultTimeoutMs: int(0, 3_600_000).default(0),
  /**
   * io-phase: a request that finds an instance idle is dispatched at the end of the current
   * event-loop turn, together with the others parsed in it (no timer). none: dispatched at once.
   */
  coalesce: z.enum(['io-phase', 'none']).default('io-phase'),
});

export const VersionPolicySchema = z.union([
  z.strictObject({ latest: int(1, 1000) }),
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({ specific: z.array(int(1, Number.MAX_SAFE_INTEGER)).min(1) }),
]);

export const WarmupSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Batch sizes to run with zero-filled inputs before a version takes traffic. */
  batchSizes: z.array(int(1, 65_536)).max(16).default([1]),
  count: int(1, 100).default(1),
});

export const RuntimeSchema = z.strictObject({
  /** Sessions of each version, each on its own worker thread; default min(2, workers). */
  instances: int(1, 64).optional(),
  intraOpThreads: int(1, 64).optional(),
  /**
   * A version whose runs take less than this (mean, measured) also gets a session on the main
   * thread, used for a lone request when nothing else of the version is running: the round trip
   * to a worker (~0.1–0.2 ms) would cost more than the run. 0 = always use workers. Runs inline
   * block the event loop for at most about this long.
   */
  inlineMaxUs: int(0, 10_000).default(250),
  /**
   * Intra-op threads of the inline session; default min(2, cores). Above 1, inline runs happen
   * only while no worker runs anything, no other request of the version is in flight, and none
   * has overlapped another for inlineQuietMs: one-at-a-time traffic gets the cores onnxruntime
   * can use for one request, and concurrent load stays on the workers. Measured on 2 cores
   * (docs/benchmarks.md): c=1 0.54× → 0.72× of a single-process baseline, c=8 and c=64 unchanged.
   */
  inlineIntraOpThreads: int(1, 64).default(Math.min(2, availableParallelism())),
  /**
   * With inlineIntraOpThreads above 1: inline runs wait until no two requests of the version have
   * overlapped for this long, so they serve one-at-a-time traffic and stay out of the way of
   * concurrent load.
   */
  inlineQuietMs: int(0, 600_000).default(1000),
});

export const ModelConfigSchema = z.strictObject({
  platform: z.literal('onnxruntime_onnx').default('onnxruntime_onnx'),
  /**
   * Rows per batch; 0 = the model is not batched (shapes are taken as they are). Absent: 64 when
   * every input and output has a dynamic first dimension, else 0.
   */
  maxBatchSize: int(0, 65_536).optional(),
  batching: BatchingSchema.default(BatchingSchema.parse({})),
  versionPolicy: VersionPolicySchema.default({ latest: 1 }),
  /** Labels name versions (`stable: 3`); a label answers only while its version is ready. */
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'labels must match [A-Za-z_][A-Za-z0-9_]*'), int(1, Number.MAX_SAFE_INTEGER)).default({}),
  warmup: WarmupSchema.default(WarmupSchema.parse({})),
  runtime: RuntimeSchema.default(RuntimeSchema.parse({})),
  /** A version that has not loaded and warmed up within this time fails and never takes traffic. */
  loadTimeoutMs: int(100, 3_600_000).default(60_000),
});

export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type VersionPolicy = z.output<typeof VersionPolicySchema>;

export const DEFAULT_MAX_BATCH_SIZE = 64;

export function defaultModelConfig(): ModelConfig {
  return parseWith(ModelConfigSchema, {}, 'config.yaml');
}

/** Parses config.yaml text for model `model`; errors name the model and the key, never a path. */
export function parseModelConfig(text: string | undefined, model: string): ModelConfig {
  if (text === undefined || text.trim() === '') return defaultModelConfig();
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : 'parse error';
    throw new ServingError('INVALID_CONFIG', `model '${model}' config.yaml is not valid YAML: ${why}`);
  }
  if (raw === null || raw === undefined) return defaultModelConfig();
  const config = parseWith(ModelConfigSchema, raw, `model '${model}' config.yaml`);
  for (const size of config.batching.preferredBatchSizes) {
    if (config.maxBatchSize !== undefined && size > config.maxBatchSize) {
      throw new ServingError('INVALID_CONFIG', `model '${model}' config.yaml: batching.preferredBatchSizes holds ${size}, more than maxBatchSize ${config.maxBatchSize}`);
    }
  }
  return config;
}
