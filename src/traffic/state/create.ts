import { isAbsolute, resolve } from 'node:path';
import { ServingError } from '../../errors/index.js';
import { createRedisTrafficState } from './redis.js';
import { createSqliteTrafficState, type SqliteTrafficStateOptions } from './sqlite.js';
import type { TrafficStateStore } from './types.js';

/**
 * Opens the traffic state the URL names:
 *   redis://host:port[/db] or rediss://… → Redis (replicas share it; keys under keyPrefix)
 *   ':memory:', a bare file path, or sqlite://path → SQLite (file created if absent)
 * Any other scheme is INVALID_CONFIG. `clock` is used by SQLite only: Redis expires keys itself.
 */
export function createTrafficState(options: SqliteTrafficStateOptions): TrafficStateStore {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(options.url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const { clock: _unused, ...redisOptions } = options;
      return createRedisTrafficState(redisOptions);
    }
    case 'sqlite':
      return createSqliteTrafficState({ ...options, url: sqlitePath(options.url.slice('sqlite://'.length)) });
    case undefined:
      return createSqliteTrafficState({ ...options, url: sqlitePath(options.url) });
    default:
      throw new ServingError('INVALID_CONFIG', 'the traffic state URL must start with redis://, rediss:// or sqlite:// (or be a file path or :memory:)');
  }
}

function sqlitePath(path: string): string {
  if (path.length === 0) throw new ServingError('INVALID_CONFIG', 'the traffic state URL needs a SQLite file path (or :memory:)');
  return path === ':memory:' || isAbsolute(path) ? path : resolve(path);
}
