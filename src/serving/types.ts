import type { Tensor, Signature } from '../tensor/types.js';

/**
 * The one request type every transport decodes into. Transports never decide anything: they
 * decode, call InferenceService, and map ServingError.code through the errors table.
 */
export type ParameterValue = string | number | boolean;

export interface RequestedOutput {
  name: string;
  parameters?: Record<string, ParameterValue>;
}

export interface InferRequest {
  model: string;
  /** A version number ("3") or a label ("stable") as the caller wrote it; absent = default version. */
  version?: string;
  id?: string;
  parameters?: Record<string, ParameterValue>;
  inputs: Tensor[];
  /** Absent = every output. */
  outputs?: RequestedOutput[];
  /** How long the request may wait before it runs; absent = the model's default timeout. */
  timeoutMs?: number;
  /** The authenticated caller's non-secret id (`key:<id>`, `token:<sub>`); absent without auth. */
  principal?: string;
  /**
   * Builds the inputs once the version is known (raw-field requests: each version assembles its
   * own feature set). Called by the core after traffic rules and label resolution chose the
   * version, once per version tried (a fallback or cascade stage calls it again for its own);
   * `inputs` is ignored when it is set.
   */
  prepare?: (target: PrepareTarget) => Promise<Tensor[]>;
}

export interface PrepareTarget {
  model: string;
  version: number;
  signature: Signature;
  /** The loaded copy of the version (new on every reload): a cache key for per-version files. */
  generation: object;
}

export interface InferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Record<string, ParameterValue>;
  outputs: Tensor[];
}

export type VersionState = 'loading' | 'ready' | 'unloading' | 'unloaded' | 'failed';

/** Triton's state names for the repository index, which tritonclient and Triton dashboards read. */
export const TRITON_STATE_OF: Readonly<Record<VersionState, string>> = {
  loading: 'LOADING',
  ready: 'READY',
  unloading: 'UNLOADING',
  unloaded: 'UNAVAILABLE',
  failed: 'UNAVAILABLE',
};

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: Signature['inputs'];
  outputs: Signature['outputs'];
}

export interface IndexEntry {
  name: string;
  version: string;
  state: VersionState;
  /** Why a version failed or was unloaded; safe to show (no file paths). */
  reason?: string;
  labels?: string[];
}

/** Triton statistics extension; durations are cumulative nanoseconds. */
export interface StatDuration {
  count: number;
  ns: number;
}

export interface ModelStatistics {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: {
    success: StatDuration;
    fail: StatDuration;
    queue: StatDuration;
    compute_input: StatDuration;
    compute_infer: StatDuration;
    compute_output: StatDuration;
    cache_hit: StatDuration;
    cache_miss: StatDuration;
  };
  batch_stats: { batch_size: number; compute_input: StatDuration; compute_infer: StatDuration; compute_output: StatDuration }[];
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/**
 * The serving core. Safe to call concurrently from any number of transports.
 * Every method throws ServingError for expected failures.
 */
export interface InferenceService {
  infer(request: InferRequest): Promise<InferResponse>;
  /** The process can take requests. */
  live(): boolean;
  /** Every model that should be loaded has a ready version, and the server is not draining. */
  ready(): boolean;
  modelReady(model: string, version?: string): boolean;
  serverMetadata(): ServerMetadata;
  modelMetadata(model: string, version?: string): ModelMetadata;
  /** The effective config of a model as JSON (repository config with defaults applied). */
  modelConfig(model: string, version?: string): Record<string, unknown>;
  statistics(model?: string, version?: string): ModelStatistics[];
  repositoryIndex(): IndexEntry[];
  /** Explicit mode only: load (or reload) a model from the repository and wait until it is ready or failed. */
  loadModel(model: string): Promise<void>;
  unloadModel(model: string): Promise<void>;
}
