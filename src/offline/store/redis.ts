import { Redis } from 'ioredis';
import type { BeginRun, ChunkRow, PredictionValue, RunInfo, RunStatus } from '../types.js';
import { checkGateable, checkPublishable, runNotFound, runNotPublishable, setNotFound, statusAfterComplete } from './lifecycle.js';
import { ServingError } from '../../errors/index.js';
import { splitRedisPrefix } from '../../util/index.js';
import { checkKey, checkRunId, checkSetName } from './names.js';
import { SCAN_PAGE_ROWS, checkChunk, checkLimit, checkValue } from './rows.js';
import { BEGIN_RUN, LOOKUP, PUBLISH, ROLLBACK, WRITE_CHUNK } from './redis-scripts.js';
import type { LookupStore, PublishedLookup, StoreOptions } from './store.js';

const DEFAULT_PREFIX = 'skein:pred';
const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Redis store, for pure key lookups at scale. Layout under a prefix (`?prefix=` in the URL,
 * default `skein:pred`); set names and run ids cannot hold `:` or `~`, so keys never collide:
 *   <p>:<set>:<run>          hash key → JSON value (the run's rows)
 *   <p>:<set>:<run>:chunks   hash chunk index → "rows:rejected"
 *   <p>:<set>:<run>:meta     hash of the run's metadata
 *   <p>:<set>:~pointers      hash published, previous
 *   <p>:<set>:~runs          sorted set of run ids by creation sequence
 *   <p>:~sets, <p>:~seq      the set names; the creation counter
 * Every write and every lookup is one Lua script, so each is atomic.
 */
export class RedisPredictionStore implements LookupStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly p: string;
  private readonly nowMs: () => number;

  constructor(url: string, options: StoreOptions = {}) {
    const split = splitRedisPrefix(url);
    const prefix = split.prefix ?? DEFAULT_PREFIX;
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new ServingError('INVALID_CONFIG', 'the prefix parameter of a redis:// store must be 1-64 characters from [A-Za-z0-9_.:-]');
    }
    this.p = prefix;
    this.nowMs = options.nowMs ?? Date.now;
    // Fail a command after one reconnect attempt instead of queueing it for long: the batch job
    // retries with its own backoff, and a lookup should fail fast rather than hang.
    // Auto-pipelining: lookups issued in the same event-loop turn share one write and one read,
    // which is most of the cost of a small Redis command at high concurrency.
    this.redis = new Redis(split.url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false, enableAutoPipelining: true });
    this.redis.on('error', () => undefined);
    // EVALSHA (with EVAL on NOSCRIPT) rather than sending the script's text with every lookup.
    this.redis.defineCommand('skeinLookupPublished', { numberOfKeys: 1, lua: LOOKUP });
  }

  private now(): string {
    return new Date(this.nowMs()).toISOString();
  }

  private k(set: string, ...rest: string[]): string {
    return [this.p, set, ...rest].join(':');
  }

  private async runOf(set: string, runId: string): Promise<RunInfo | undefined> {
    const [meta, pointer] = await Promise.all([this.redis.hgetall(this.k(set, runId, 'meta')), this.redis.hget(this.k(set, '~pointers'), 'published')]);
    return meta.status === undefined ? undefined : runFromMeta(meta, pointer === runId);
  }

  async beginRun(run: BeginRun): Promise<void> {
    checkSetName(run.set);
    checkRunId(run.runId);
    checkValue(run.defaultValue);
    await this.redis.eval(
      BEGIN_RUN, 4,
      this.k(run.set, run.runId, 'meta'), this.k(run.set, '~runs'), `${this.p}:~sets`, `${this.p}:~seq`,
      run.set, run.runId, run.model, run.version, this.now(), JSON.stringify(run.defaultValue),
    );
  }

  async writeChunk(set: string, runId: string, chunkIndex: number, rows: readonly ChunkRow[], rejected: number): Promise<void> {
    checkChunk(set, runId, chunkIndex, rows, rejected);
    const pairs: string[] = [];
    for (const row of rows) pairs.push(row.key, JSON.stringify(row.value));
    const outcome = await this.redis.eval(
      WRITE_CHUNK, 3, this.k(set, runId, 'meta'), this.k(set, runId), this.k(set, runId, 'chunks'),
      String(chunkIndex), String(rows.length), String(rejected), ...pairs,
    );
    if (outcome === 'missing') throw runNotFound('beginRun must be called before writeChunk');
    if (outcome === 'closed') throw new ServingError('RUN_NOT_WRITABLE', 'the run is complete and takes no more chunks; start a new run id');
  }

  async committedChunks(set: string, runId: string): Promise<Set<number>> {
    const fields = await this.redis.hkeys(this.k(set, runId, 'chunks'));
    return new Set(fields.map(Number));
  }

  async completeRun(set: string, runId: string): Promise<RunInfo> {
    const run = await this.runOf(set, runId);
    if (run === undefined) throw runNotFound();
    // Only writing → complete moves; the check-then-set race is with the same job's own steps.
    if (run.status === 'writing') await this.redis.hset(this.k(set, runId, 'meta'), 'status', statusAfterComplete(run.status));
    return (await this.runOf(set, runId)) as RunInfo;
  }

  async setGateResult(set: string, runId: string, passed: boolean, report: unknown): Promise<void> {
    checkGateable(await this.runOf(set, runId));
    await this.redis.hset(this.k(set, runId, 'meta'), 'status', passed ? 'passed' : 'failed', 'gateReport', JSON.stringify(report ?? null));
  }

  async getRun(set: string, runId: string): Promise<RunInfo | undefined> {
    return this.runOf(set, runId);
  }

  async listRuns(set?: string): Promise<RunInfo[]> {
    const sets = set === undefined ? await this.redis.smembers(`${this.p}:~sets`) : [set];
    const runs: { seq: number; info: RunInfo }[] = [];
    for (const name of sets) {
      const [ids, pointer] = await Promise.all([this.redis.zrange(this.k(name, '~runs'), 0, -1), this.redis.hget(this.k(name, '~pointers'), 'published')]);
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.k(name, id, 'meta'));
      const metas = (await pipeline.exec()) ?? [];
      metas.forEach(([err, meta], i) => {
        if (err) throw err;
        const m = meta as Record<string, string>;
        if (m.status !== undefined) runs.push({ seq: Number(m.seq), info: runFromMeta(m, pointer === ids[i]) });
      });
    }
    return runs.sort((a, b) => b.seq - a.seq).map((r) => r.info);
  }

  async publish(set: string, runId: string, options: { force?: boolean } = {}): Promise<RunInfo> {
    // Two tries: the script refuses when the status moved after our check (a gate result landing).
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = await this.runOf(set, runId);
      const { forced } = checkPublishable(run, options.force === true);
      const outcome = await this.redis.eval(
        PUBLISH, 2, this.k(set, '~pointers'), this.k(set, runId, 'meta'),
        runId, this.now(), forced ? '1' : '0', (run as RunInfo).status,
      );
      if (outcome === 'ok') return (await this.runOf(set, runId)) as RunInfo;
    }
    throw runNotPublishable('the run changed status while it was being published; publish again');
  }

  async rollback(set: string): Promise<RunInfo> {
    const [outcome, target] = (await this.redis.eval(ROLLBACK, 1, this.k(set, '~pointers'), `${this.k(set)}:`, this.now())) as [string, string?];
    if (outcome === 'none') throw setNotFound();
    if (outcome === 'noprev') throw runNotFound('no run was published before the current one; there is nothing to roll back to');
    if (outcome === 'gone' || target === undefined) throw runNotFound('the previously published run no longer exists');
    return (await this.runOf(set, target)) as RunInfo;
  }

  async published(set: string): Promise<RunInfo | undefined> {
    const runId = await this.redis.hget(this.k(set, '~pointers'), 'published');
    return runId === null ? undefined : this.runOf(set, runId);
  }

  async lookup(set: string, keys: readonly string[]): Promise<(PredictionValue | undefined)[]> {
    return (await this.lookupPublished(set, keys)).values;
  }

  async lookupPublished(set: string, keys: readonly string[]): Promise<PublishedLookup> {
    for (const key of keys) checkKey(key);
    const lookup = (this.redis as unknown as { skeinLookupPublished(...args: string[]): Promise<(string | null)[] | null> }).skeinLookupPublished;
    const reply = await lookup.call(this.redis, this.k(set, '~pointers'), `${this.k(set)}:`, ...keys);
    if (reply === null) throw setNotFound();
    const [runId, ...values] = reply;
    return { runId: runId as string, values: keys.map((_, i) => { const v = values[i]; return v == null ? undefined : (JSON.parse(v) as PredictionValue); }) };
  }

  async *scanValues(set: string, runId: string, limit: number): AsyncIterable<ChunkRow> {
    checkLimit(limit);
    // HSCAN may return a field twice while the hash is rehashed; seen keeps each row once.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.k(set, runId), cursor, 'COUNT', SCAN_PAGE_ROWS);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const key = flat[i] as string;
        if (seen.size >= limit) return;
        if (seen.has(key)) continue;
        seen.add(key);
        yield { key, value: JSON.parse(flat[i + 1] as string) as PredictionValue };
      }
    } while (cursor !== '0' && seen.size < limit);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function runFromMeta(m: Record<string, string>, published: boolean): RunInfo {
  const info: RunInfo = {
    set: m.set as string,
    runId: m.runId as string,
    model: m.model as string,
    version: m.version as string,
    createdAt: m.createdAt as string,
    status: m.status as RunStatus,
    rowCount: Number(m.rowCount ?? 0),
    rejectedCount: Number(m.rejectedCount ?? 0),
    defaultValue: JSON.parse(m.defaultValue as string) as PredictionValue,
    published,
  };
  if (m.gateReport !== undefined) info.gateReport = JSON.parse(m.gateReport) as unknown;
  if (m.forced === '1') info.forced = true;
  if (m.publishedAt !== undefined) info.publishedAt = m.publishedAt;
  return info;
}
