import type { Registry } from 'prom-client';
import type { PredictionStore, PredictionValue } from '../types.js';
import type { Clock } from '../../util/index.js';

export interface LookupResultRow {
  key: string;
  value: PredictionValue;
  /** True when the key was not precomputed and value is the set's default. */
  default: boolean;
}

/** The wire shape of a batch lookup (snake_case like the OIP replies). */
export interface LookupResult {
  set: string;
  model_name: string;
  model_version: string;
  run_id: string;
  results: LookupResultRow[];
}

export interface LookupServiceOptions {
  /** The prediction store: read per request (mode `store`) or loaded into memory (mode `memory`). */
  store?: PredictionStore;
  /** Default: `store` when a store is given, else `memory` (flat files only). */
  mode?: 'store' | 'memory';
  /** Flat files (JSONL, see docs/offline.md) loaded into memory, one set each. */
  files?: readonly string[];
  /** Most rows held in memory over all sets; a load past it fails with INVALID_CONFIG. Default 5,000,000. */
  maxMemoryRows?: number;
  /**
   * Memory mode: how often to look for a new publish (or a changed file) and swap it in.
   * Store mode: how long a run's metadata is cached. 0 = never refresh. Default 30,000.
   */
  refreshIntervalMs?: number;
  /** Most keys in one lookup; one more is INVALID_REQUEST. Default 1,000. */
  maxKeysPerRequest?: number;
  /**
   * Store mode: lookups of one event-loop turn for the same set are read together, up to this
   * many keys per store read (default 4,096); 0 = one store read per lookup.
   */
  maxMergedKeys?: number;
  /** Drives the refresh timer and lookup durations. */
  clock: Clock;
  /** Wall-clock ms since the epoch, for staleness; default Date.now. */
  wallClockMs?: () => number;
  /** Where the lookup metrics are registered. */
  registry: Registry;
  /** Told when a background refresh fails; the sets already loaded keep serving. */
  onRefreshError?: (err: unknown) => void;
}

/**
 * Answers lookups of precomputed predictions. lookup is safe to call concurrently with itself
 * and with a refresh: a refresh builds the new table aside and swaps it in whole.
 */
export interface LookupService {
  readonly mode: 'store' | 'memory';
  /** Loads what memory mode serves and starts the refresh timer. Call once before lookups. */
  start(): Promise<void>;
  /** Throws INVALID_MODEL_NAME, INVALID_REQUEST (keys), MODEL_NOT_FOUND (proposed SET_NOT_FOUND). */
  lookup(set: string, keys: readonly unknown[]): Promise<LookupResult>;
  /** Memory mode: picks up new publishes and changed files now. */
  refresh(): Promise<void>;
  /** Stops the refresh timer; does not close the store (its owner does). */
  close(): void;
}
