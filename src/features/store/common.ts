import { ServingError } from '../../errors/index.js';
import { NAME_PATTERN } from '../spec.js';
import type { EntityUpdate, FeatureStoreOptions } from './types.js';

export const DEFAULT_KEY_PREFIX = 'skein:feat';
const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Ids stored in the feature store: the same bound the assembler applies to raw ids. */
export const MAX_STORED_ID_LENGTH = 256;

export function checkPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ServingError('INVALID_CONFIG', 'the feature store keyPrefix must be 1-64 characters from [A-Za-z0-9_.:-]');
  }
  return prefix;
}

export function checkEntityName(entity: string): void {
  if (!NAME_PATTERN.test(entity)) throw new ServingError('INVALID_CONFIG', 'an entity name must match [A-Za-z_][A-Za-z0-9_]* (at most 64 characters)');
}

export function checkUpdate(row: EntityUpdate): void {
  if (typeof row.id !== 'string' || row.id.length === 0 || row.id.length > MAX_STORED_ID_LENGTH) {
    throw new ServingError('INVALID_CONFIG', `an entity id must be a string of 1-${MAX_STORED_ID_LENGTH} characters`);
  }
  if (!Number.isFinite(row.updatedAtMs)) throw new ServingError('INVALID_CONFIG', 'updatedAtMs must be a finite number of epoch milliseconds');
}

/** The TTL of one entity's values, or undefined for none. */
export function ttlFor(ttlMs: FeatureStoreOptions['ttlMs'], entity: string): number | undefined {
  const ttl = typeof ttlMs === 'number' ? ttlMs : ttlMs?.[entity];
  if (ttl === undefined) return undefined;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new ServingError('INVALID_CONFIG', 'ttlMs must be a positive number of milliseconds');
  return ttl;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
