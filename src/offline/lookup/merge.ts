import { createTurnMerger } from '../../util/index.js';
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
 * The merging itself is util/turn-merger.ts, shared with the feature store's coalescing.
 */
export function mergeLookups(read: Read, maxKeys = DEFAULT_MAX_MERGED_KEYS): Read {
  const merger = createTurnMerger<Pending>({
    create: () => ({ keys: [], waiters: [] }),
    size: (batch) => batch.keys.length,
    send: (set, batch) => {
      read(set, batch.keys).then((result) => {
        for (const w of batch.waiters) {
          w.resolve({ runId: result.runId, values: result.values.slice(w.at, w.at + w.count) });
        }
      }, (err: unknown) => {
        for (const w of batch.waiters) w.reject(err);
      });
    },
    maxSize: maxKeys,
  });
  return (set, keys) => {
    if (keys.length > maxKeys) return read(set, keys);
    return new Promise<PublishedLookup>((resolve, reject) => {
      merger.add(set, keys.length, (batch) => {
        batch.waiters.push({ at: batch.keys.length, count: keys.length, resolve, reject });
        for (const key of keys) batch.keys.push(key);
      });
    });
  };
}
