import { ServingError } from '../../errors/index.js';
import { BATCH_CODES } from './errors.js';

/** One of `count` disjoint parts of a run's keys: `--shard index/count`. */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = Object.freeze({ index: 0, count: 1 });
/** More shards than this is a typo, not a plan (an Indexed Job of 10 000 pods). */
export const MAX_SHARDS = 10_000;

/** Parses `i/N` with 0 ≤ i < N ≤ MAX_SHARDS. */
export function parseShard(text: string): Shard {
  const m = /^([0-9]{1,5})\/([0-9]{1,5})$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new ServingError(BATCH_CODES.usage, `--shard must be i/N with 0 <= i < N <= ${MAX_SHARDS}, e.g. 0/4`);
  }
  return { index, count };
}

/**
 * FNV-1a (32-bit) over the key's UTF-8 bytes. Stable across processes, machines and languages,
 * so N processes (or N pods) agree on who owns which key without talking to each other.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(key, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function inShard(key: string, shard: Shard): boolean {
  return shard.count === 1 || keyHash(key) % shard.count === shard.index;
}

/**
 * The store's chunk index of input chunk `chunk` for this shard. Shards of one run write into
 * the same run, so each owns every N-th index and never skips a chunk another shard committed.
 */
export function chunkId(chunk: number, shard: Shard): number {
  return chunk * shard.count + shard.index;
}
