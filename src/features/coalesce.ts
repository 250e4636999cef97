import { ServingError } from '../errors/index.js';
import { createTurnMerger } from '../util/index.js';
import type { EntityRecord, FeatureStore } from './store/index.js';

/**
 * A feature store that merges the lookups of concurrent requests: every get() of an entity made
 * during one turn of the event loop becomes one get() of the wrapped store, over the distinct
 * ids of all of them, issued on the next turn (setImmediate). Under load a server answers many
 * raw requests per turn, so 64 requests cost one SQLite query or one Redis pipeline per entity
 * instead of 64 (docs/features.md#performance); an idle server pays one turn of the loop.
 *
 * Contract: as FeatureStore. Each caller gets a map of its own ids only. When the wrapped get()
 * fails, every caller of that flush sees the failure (the assembler then answers with defaults).
 * Bounded (util/turn-merger.ts): once maxPendingIds ids wait for an entity, they are sent at once
 * rather than at the next turn, and a get that would pass it sends the waiting ids first. put() and close() go straight to the wrapped store.
 */
export interface CoalescingOptions {
  /** Ids waiting per entity before they are sent without waiting for the next turn (default 2000). */
  maxPendingIds?: number;
}

export const DEFAULT_MAX_PENDING_IDS = 2000;

interface Waiter {
  ids: readonly string[];
  resolve(found: Map<string, EntityRecord>): void;
  reject(err: unknown): void;
}

interface Pending {
  ids: Set<string>;
  waiters: Waiter[];
}

export function createCoalescingStore(store: FeatureStore, options: CoalescingOptions = {}): FeatureStore {
  const maxPendingIds = options.maxPendingIds ?? DEFAULT_MAX_PENDING_IDS;
  if (!Number.isSafeInteger(maxPendingIds) || maxPendingIds < 1) {
    throw new ServingError('INVALID_CONFIG', 'coalescing feature store: maxPendingIds must be a positive integer');
  }

  function send(entity: string, batch: Pending): void {
    store.get(entity, [...batch.ids]).then((found) => {
      for (const w of batch.waiters) {
        const own = new Map<string, EntityRecord>();
        for (const id of w.ids) {
          const record = found.get(id);
          if (record !== undefined) own.set(id, record);
        }
        w.resolve(own);
      }
    }, (err: unknown) => {
      for (const w of batch.waiters) w.reject(err);
    });
  }

  const merger = createTurnMerger<Pending>({
    create: () => ({ ids: new Set(), waiters: [] }),
    size: (batch) => batch.ids.size,
    send,
    maxSize: maxPendingIds,
  });

  return {
    kind: store.kind,
    get(entity, ids) {
      if (ids.length === 0) return Promise.resolve(new Map());
      return new Promise((resolve, reject) => {
        merger.add(entity, ids.length, (batch) => {
          for (const id of ids) batch.ids.add(id);
          batch.waiters.push({ ids, resolve, reject });
        });
      });
    },
    put: (entity, rows) => store.put(entity, rows),
    close: () => store.close(),
  };
}
