import type { PredictionStore, PredictionValue } from '../types.js';

export interface StoreOptions {
  /** Wall-clock time in ms since the epoch, for createdAt/publishedAt; default Date.now. */
  nowMs?: () => number;
  /**
   * SQLite only: commit batch-job chunks on a writer thread with its own connection (default
   * true for a file; an in-memory database always writes on the event loop).
   */
  writerThread?: boolean;
}

/** Values read in one atomic step together with the run that answered them. */
export interface PublishedLookup {
  runId: string;
  values: (PredictionValue | undefined)[];
}

/**
 * What every store here offers beyond the PredictionStore contract: a lookup that also says which
 * run answered, read atomically with the values, so a caller can label the answer with that run's
 * model and version even while a publish switches the pointer.
 * (Proposed for PredictionStore itself; see docs/offline.md.)
 */
export interface LookupStore extends PredictionStore {
  /** Throws MODEL_NOT_FOUND (proposed SET_NOT_FOUND) when the set has no published run. */
  lookupPublished(set: string, keys: readonly string[]): Promise<PublishedLookup>;
}

export function hasPublishedLookup(store: PredictionStore): store is LookupStore {
  return typeof (store as Partial<LookupStore>).lookupPublished === 'function';
}
