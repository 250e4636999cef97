import { Redis } from 'ioredis';
import { FEATURE_STORE_BATCH_MAX, type EntityRecord, type EntityUpdate, type FeatureStore, type FeatureStoreOptions, type PutResult } from './types.js';
import { checkEntityName, checkUpdate, chunks, ttlFor } from './common.js';

/**
 * One entity update, atomically: skip it when the stored one is newer, else replace the values
 * and set the expiry (or clear it when the entity has no TTL).
 * KEYS[1] the entity's hash; ARGV: values JSON, updatedAtMs, expire-at epoch ms or ''.
 */
const PUT_LATEST = `
local cur = redis.call('HGET', KEYS[1], 't')
if cur and tonumber(cur) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 't', ARGV[2])
if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return 1`;

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

type RedisWithPut = Redis & { putLatest(key: string, values: string, updatedAtMs: string, expireAtMs: string): Promise<number> };

/**
 * The feature store for many replicas: one Redis hash per entity id, `<prefix>:<entity>:<id>`
 * with fields v (values as JSON) and t (updatedAtMs). A TTL is PEXPIREAT updatedAtMs + ttlMs, so
 * Redis drops expired entities itself. A get is one pipeline of HMGET per batch; a put one
 * pipeline of a Lua script per batch. While the connection is down, calls fail at once instead of
 * queueing: a lookup should fall back to defaults, not wait for a reconnect.
 */
export class RedisFeatureStore implements FeatureStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisWithPut;
  private readonly prefix: string;
  private readonly nowMs: () => number;
  private readonly ttlMs: FeatureStoreOptions['ttlMs'];
  private readonly connectTimeoutMs: number;
  /** A connection attempt failed or the connection closed, and none has been ready since. */
  private down = false;

  constructor(url: string, options: Omit<FeatureStoreOptions, 'url'> & { keyPrefix: string }) {
    this.prefix = options.keyPrefix;
    this.nowMs = options.nowMs ?? Date.now;
    this.ttlMs = options.ttlMs;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      connectTimeout: this.connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    });
    redis.on('error', () => { this.down = true; });
    redis.on('close', () => { this.down = true; });
    redis.on('ready', () => { this.down = false; });
    redis.defineCommand('putLatest', { numberOfKeys: 1, lua: PUT_LATEST });
    this.redis = redis as RedisWithPut;
  }

  /**
   * Fails at once while the connection is known to be down (ioredis reconnects in the background),
   * so an outage costs a lookup nothing but its defaults; waits only for the very first
   * connection, at most connectTimeoutMs.
   */
  private async connected(): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.down) throw new Error('the feature store (Redis) is not connected');
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        this.redis.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const onError = (err: Error): void => done(err);
      const onClose = (): void => done(new Error('the feature store (Redis) connection closed'));
      const timer = setTimeout(() => done(new Error('the feature store (Redis) did not answer in time')), this.connectTimeoutMs);
      timer.unref();
      this.redis.once('ready', onReady);
      this.redis.once('error', onError);
      this.redis.once('close', onClose);
    });
  }

  private key(entity: string, id: string): string {
    return `${this.prefix}:${entity}:${id}`;
  }

  async get(entity: string, ids: readonly string[]): Promise<Map<string, EntityRecord>> {
    checkEntityName(entity);
    await this.connected();
    const out = new Map<string, EntityRecord>();
    for (const batch of chunks([...new Set(ids)], FEATURE_STORE_BATCH_MAX)) {
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hmget(this.key(entity, id), 'v', 't');
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([err, reply], i) => {
        if (err) throw err;
        const [v, t] = reply as [string | null, string | null];
        if (v === null || t === null) return;
        out.set(batch[i]!, { values: JSON.parse(v) as Record<string, unknown>, updatedAtMs: Number(t) });
      });
    }
    return out;
  }

  async put(entity: string, rows: readonly EntityUpdate[]): Promise<PutResult> {
    checkEntityName(entity);
    for (const row of rows) checkUpdate(row);
    const ttl = ttlFor(this.ttlMs, entity);
    await this.connected();
    const nowMs = this.nowMs();
    const result: PutResult = { written: 0, stale: 0, expired: 0 };
    for (const batch of chunks(rows, FEATURE_STORE_BATCH_MAX)) {
      const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { putLatest(...args: string[]): unknown };
      let queued = 0;
      for (const row of batch) {
        const expireAtMs = ttl === undefined ? undefined : Math.ceil(row.updatedAtMs + ttl);
        if (expireAtMs !== undefined && expireAtMs <= nowMs) {
          result.expired++;
          continue;
        }
        pipeline.putLatest(this.key(entity, row.id), JSON.stringify(row.values), String(row.updatedAtMs), expireAtMs === undefined ? '' : String(expireAtMs));
        queued++;
      }
      if (queued === 0) continue;
      for (const [err, reply] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        if (reply === 1) result.written++;
        else result.stale++;
      }
    }
    return result;
  }

  /**
   * Disconnects at once rather than QUIT: callers close after their last call has settled, and a
   * QUIT sent to a hung server would wait for a reply that never comes.
   */
  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
