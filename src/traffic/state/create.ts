import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ServingError } from '../../errors/index.js';
import { splitRedisPrefix } from '../../util/index.js';
import { createRedisTrafficState } from './redis.js';
import { createSqliteTrafficState, type SqliteTrafficStateOptions } from './sqlite.js';
import type { TrafficStateStore } from './types.js';

/**
 * Opens the traffic state the URL names:
 *   redis://host:port[/db][?prefix=name] or rediss://… → Redis (replicas share it; keys under the
 *   prefix: the URL's, else keyPrefix)
 *   ':memory:', a bare file path, or sqlite://path → SQLite (file and directory created if absent)
 * Any other scheme is INVALID_CONFIG. `clock` is used by SQLite only: Redis expires keys itself.
 */
export function createTrafficState(options: SqliteTrafficStateOptions): TrafficStateStore {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(options.url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const { clock: _unused, ...redisOptions } = options;
      const { url, prefix } = splitRedisPrefix(options.url);
      return createRedisTrafficState({ ...redisOptions, url, ...(prefix !== undefined ? { keyPrefix: prefix } : {}) });
    }
    case 'sqlite':
      return createSqliteTrafficState({ ...options, url: sqlitePath(options.url.slice('sqlite://'.length)) });
    case undefined:
      return createSqliteTrafficState({ ...options, url: sqlitePath(options.url) });
    default:
      throw new ServingError('INVALID_CONFIG', 'the traffic state URL must start with redis://, rediss:// or sqlite:// (or be a file path or :memory:)');
  }
}

/** The absolute path of the SQLite file; its directory is created (the default lives in .skein/). */
function sqlitePath(path: string): string {
  if (path.length === 0) throw new ServingError('INVALID_CONFIG', 'the traffic state URL needs a SQLite file path (or :memory:)');
  if (path === ':memory:') return path;
  const absolute = isAbsolute(path) ? path : resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}
