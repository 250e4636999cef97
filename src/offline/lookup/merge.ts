import type { PublishedLookup } from '../store/index.js';

/** Most keys one merged store read carries; a lookup that would overflow it starts a new read. */
export const DEFAULT_MAX_MERGED_KEYS = 4096;

type Read = (set: string, keys: readonly string[]) => Promise<PublishedLookup>;

interface Waiter {
  at: number;
  count: number;
  resolve(result: PublishedLookup): void;
  reject(err: unknown): void;
}

interface Pending {
  keys: string[];
  waiters: Waiter[];
}

/**
 * Store mode under load: the lookups of one event-loop turn for the same set become one store
 * read (one SQL statement, one Redis script call) instead of one each. A store read costs far
 * more per call than per key, so at 64 concurrent clients this is most of a lookup's cost.
 *
 * Each lookup still gets one atomic answer: every key of a merged read comes from the run the
 * pointer named at that read, so the lookups merged together all answer from the same run. A
 * read that fails rejects every lookup merged into it, with the store's error. An idle server
 * pays one loop turn (microseconds) per lookup. Lookups of more than maxKeys keys are read alone.
 */
export function mergeLookups(read: Read, maxKeys = DEFAULT_MAX_MERGED_KEYS): Read {
  let pending = new Map<string, Pending>();
  let scheduled = false;

  const send = (set: string, batch: Pending): void => {
    read(set, batch.keys).then((result) => {
      for (const w of batch.waiters) {
        w.resolve({ runId: result.runId, values: result.values.slice(w.at, w.at + w.count) });
      }
    }, (err: unknown) => {
      for (const w of batch.waiters) w.reject(err);
    });
  };

  const flush = (): void => {
    scheduled = false;
    // Replaced, not cleared: see coalesce.ts in src/features for why a long-lived Map is not cleared.
    const batches = pending;
    pending = new Map();
    for (const [set, batch] of batches) send(set, batch);
  };

  return (set, keys) => {
    if (keys.length > maxKeys) return read(set, keys);
    return new Promise<PublishedLookup>((resolve, reject) => {
      let batch = pending.get(set);
      if (batch !== undefined && batch.keys.length + keys.length > maxKeys) {
        pending.delete(set);
        send(set, batch);
        batch = undefined;
      }
      if (batch === undefined) {
        batch = { keys: [], waiters: [] };
        pending.set(set, batch);
      }
      batch.waiters.push({ at: batch.keys.length, count: keys.length, resolve, reject });
      for (const key of keys) batch.keys.push(key);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}
