import { isAbsolute, resolve } from 'node:path';
import { ServingError } from '../../errors/index.js';
import { splitRedisPrefix } from '../../util/index.js';
import { DEFAULT_KEY_PREFIX, checkPrefix, ttlFor } from './common.js';
import { RedisFeatureStore } from './redis.js';
import { SqliteFeatureStore } from './sqlite.js';
import type { FeatureStore, FeatureStoreOptions } from './types.js';

/**
 * Opens the feature store a URL names: redis:// or rediss:// → Redis (`?prefix=name` in the URL
 * wins over keyPrefix); sqlite://relative.db,
 * sqlite:///absolute.db, a bare path or :memory: → SQLite (created if absent). Any other scheme
 * is INVALID_CONFIG.
 */
export function createFeatureStore(options: FeatureStoreOptions): FeatureStore {
  const { url, ...rest } = options;
  const keyPrefix = checkPrefix(rest.keyPrefix ?? DEFAULT_KEY_PREFIX);
  if (typeof rest.ttlMs === 'number') ttlFor(rest.ttlMs, '');
  else for (const entity of Object.keys(rest.ttlMs ?? {})) ttlFor(rest.ttlMs, entity);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const split = splitRedisPrefix(url);
      return new RedisFeatureStore(split.url, { ...rest, keyPrefix: split.prefix !== undefined ? checkPrefix(split.prefix) : keyPrefix });
    }
    case undefined:
      return new SqliteFeatureStore(sqlitePath(url), { ...rest, keyPrefix });
    case 'sqlite':
      return new SqliteFeatureStore(sqlitePath(url.slice('sqlite://'.length)), { ...rest, keyPrefix });
    default:
      throw new ServingError('INVALID_CONFIG', 'the feature store URL must start with redis:// or sqlite:// (or be a file path)');
  }
}

function sqlitePath(path: string): string {
  if (path.length === 0) throw new ServingError('INVALID_CONFIG', 'a sqlite:// feature store URL needs a file path');
  if (path === ':memory:') return path;
  return isAbsolute(path) ? path : resolve(path);
}
