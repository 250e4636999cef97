import { isAbsolute, resolve } from 'node:path';
import { ServingError } from '../../errors/index.js';
import { PostgresPredictionStore } from './postgres.js';
import { RedisPredictionStore } from './redis.js';
import { SqlitePredictionStore } from './sqlite.js';
import type { LookupStore, StoreOptions } from './store.js';

/**
 * Opens the store a URL names:
 *   sqlite://relative/path.db, sqlite:///absolute/path.db, or a bare path → SQLite (created if absent)
 *   postgres://user@host:port/db[?schema=name] (or postgresql://) → PostgreSQL (tables created if absent)
 *   redis://host:port[/db][?prefix=skein:pred] (or rediss://) → Redis
 * Any other scheme is INVALID_CONFIG.
 */
export async function createPredictionStore(url: string, options: StoreOptions = {}): Promise<LookupStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
      return new SqlitePredictionStore(sqlitePath(url), options);
    case 'sqlite':
      return new SqlitePredictionStore(sqlitePath(url.slice('sqlite://'.length)), options);
    case 'postgres':
    case 'postgresql':
      return PostgresPredictionStore.open(url, options);
    case 'redis':
    case 'rediss':
      return new RedisPredictionStore(url, options);
    default:
      throw new ServingError('INVALID_CONFIG', 'the prediction store URL must start with sqlite://, postgres:// or redis:// (or be a file path)');
  }
}

function sqlitePath(path: string): string {
  if (path.length === 0) throw new ServingError('INVALID_CONFIG', 'a sqlite:// store URL needs a file path');
  return isAbsolute(path) ? path : resolve(path);
}
