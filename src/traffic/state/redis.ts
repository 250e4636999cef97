import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ServingError } from '../../errors/index.js';
import {
  armOf, emptyKpis, eventIdentity, historyLimitOf, predictionTtlMsOf, setKpi,
  HISTORY_MAX_ENTRIES, type KpiField,
} from './common.js';
import { ADD_FEEDBACK, PUT_ROLLOUT, RECORD_PREDICTION } from './redis-scripts.js';
import type {
  FeedbackEvent, FeedbackOutcome, HistoryEntry, KpiCounts, PredictionRecord, RolloutRecord, TrafficStateOptions, TrafficStateStore,
} from './types.js';

const DEFAULT_KEY_PREFIX = 'skein:traffic:';
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A connect attempt that has not finished by then fails. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;
/** A command (or script) without a reply by then rejects; a stalled server never hangs a caller. */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** How long a call waits for a connection that is being (re)established before it gives up. */
export const REDIS_READY_WAIT_MS = 2000;

const KPI_FIELDS = new Map<string, KpiField>([['events', 'events'], ['units', 'units'], ['sum', 'valueSum'], ['sumsq', 'valueSumSq']]);

/**
 * Redis traffic state, shared by every replica that names the same Redis and key prefix.
 * Keys under the prefix (names inside keys are URI-encoded where another part follows them):
 *   pred:<id>                               hash: the prediction, its per-type totals; PEXPIRE ttl
 *   event:<identity>                        dedup marker of a feedback event; expires with its prediction
 *   group:version:<model>:<version>         hash of KPI counts (see redis-scripts.ts)
 *   group:arm:<experiment>:<arm>            hash of KPI counts
 *   members:version:<model>, members:arm:<experiment>   sets of the group members
 *   rollout:<model> (hash state, revision), history:<model> (list, newest last), labels:<model> (hash)
 * Every write that touches more than one key is one Lua script or one MULTI.
 *
 * There is no offline queue: a call waits at most REDIS_READY_WAIT_MS for a connection being
 * (re)established, and each command at most REDIS_COMMAND_TIMEOUT_MS, then rejects with
 * STORE_UNAVAILABLE. The client keeps reconnecting in the background, so calls succeed again
 * once Redis is back.
 */
export function createRedisTrafficState(options: TrafficStateOptions): TrafficStateStore {
  return new RedisTrafficState(options);
}

class RedisTrafficState implements TrafficStateStore {
  private readonly redis: Redis;
  private readonly p: string;
  private readonly ttlMs: number;
  private readyWait: Promise<void> | undefined;

  constructor(options: TrafficStateOptions) {
    this.ttlMs = predictionTtlMsOf(options);
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (!KEY_PREFIX_PATTERN.test(prefix)) {
      throw new ServingError('INVALID_CONFIG', 'the traffic state keyPrefix must be 1-64 characters from [A-Za-z0-9_.:-]');
    }
    this.p = prefix;
    this.redis = new Redis(options.url, {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    // Errors reach callers as rejected commands; the event only needs a listener.
    this.redis.on('error', () => undefined);
  }

  private predKey(id: string): string {
    return `${this.p}pred:${id}`;
  }

  private groupKey(kind: 'version' | 'arm', name: string, member: string): string {
    return `${this.p}group:${kind}:${encodeURIComponent(name)}:${encodeURIComponent(member)}`;
  }

  private membersKey(kind: 'version' | 'arm', name: string): string {
    return `${this.p}members:${kind}:${encodeURIComponent(name)}`;
  }

  async recordPredictions(records: readonly PredictionRecord[]): Promise<void> {
    await this.use(async () => {
      await Promise.all(records.map((r) => this.recordOne(r)));
    });
  }

  private async recordOne(r: PredictionRecord): Promise<void> {
    const versionGroup = this.groupKey('version', r.model, r.version);
    const keys = [this.predKey(r.id), versionGroup, this.membersKey('version', r.model)];
    const fields = ['model', r.model, 'version', r.version, 'atMs', String(r.atMs), '~gv', versionGroup];
    if (r.experiment !== undefined) fields.push('experiment', r.experiment);
    if (r.arm !== undefined) fields.push('arm', r.arm);
    if (r.stage !== undefined) fields.push('stage', String(r.stage));
    const arm = armOf(r);
    if (arm !== undefined) {
      const armGroup = this.groupKey('arm', arm.experiment, arm.arm);
      keys.push(armGroup, this.membersKey('arm', arm.experiment));
      fields.push('~ga', armGroup);
    }
    await this.script(RECORD_PREDICTION, keys, [String(this.ttlMs), r.version, arm?.arm ?? '', ...fields]);
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    const h = await this.use(() => this.redis.hgetall(this.predKey(id)));
    if (h.model === undefined || h.version === undefined) return undefined;
    const record: PredictionRecord = { id, model: h.model, version: h.version, atMs: Number(h.atMs) };
    if (h.experiment !== undefined) record.experiment = h.experiment;
    if (h.arm !== undefined) record.arm = h.arm;
    if (h.stage !== undefined) record.stage = Number(h.stage);
    return record;
  }

  async addFeedback(event: FeedbackEvent): Promise<FeedbackOutcome> {
    const keys = [this.predKey(event.predictionId), `${this.p}event:${eventIdentity(event)}`];
    const outcome = await this.use(() => this.script(ADD_FEEDBACK, keys, [event.type, String(event.value ?? 0), String(this.ttlMs)]));
    return outcome as FeedbackOutcome;
  }

  async experimentKpis(experiment: string): Promise<Record<string, KpiCounts>> {
    return this.use(() => this.groupKpis('arm', experiment));
  }

  async versionKpis(model: string): Promise<Record<string, KpiCounts>> {
    return this.use(() => this.groupKpis('version', model));
  }

  private async groupKpis(kind: 'version' | 'arm', name: string): Promise<Record<string, KpiCounts>> {
    const members = await this.redis.smembers(this.membersKey(kind, name));
    const pipeline = this.redis.pipeline();
    for (const member of members) pipeline.hgetall(this.groupKey(kind, name, member));
    const replies = (await pipeline.exec()) ?? [];
    const out: Record<string, KpiCounts> = {};
    members.forEach((member, i) => {
      const [err, hash] = replies[i] ?? [new Error('missing pipeline reply'), undefined];
      if (err) throw err;
      const kpis = kpisOf(hash as Record<string, string>);
      if (kpis !== undefined) out[member] = kpis;
    });
    return out;
  }

  async getRollout(model: string): Promise<RolloutRecord | undefined> {
    const h = await this.use(() => this.redis.hgetall(`${this.p}rollout:${model}`));
    if (h.state === undefined || h.revision === undefined) return undefined;
    return { model, state: JSON.parse(h.state) as unknown, revision: Number(h.revision) };
  }

  async putRollout(model: string, state: unknown, expectedRevision: number): Promise<boolean> {
    const reply = await this.use(() => this.script(PUT_ROLLOUT, [`${this.p}rollout:${model}`], [JSON.stringify(state ?? null), String(expectedRevision)]));
    return reply === 1;
  }

  async appendHistory(model: string, entry: HistoryEntry): Promise<void> {
    const key = `${this.p}history:${model}`;
    const replies = await this.use(() => this.redis
      .multi()
      .rpush(key, JSON.stringify({ atMs: entry.atMs, event: entry.event, detail: entry.detail }))
      .ltrim(key, -HISTORY_MAX_ENTRIES, -1)
      .exec());
    for (const [err] of replies ?? []) if (err) throw unavailable(err);
  }

  async history(model: string, limit: number): Promise<HistoryEntry[]> {
    const n = historyLimitOf(limit);
    // LRANGE with start -0 would mean the whole list; a limit of 0 asks for nothing.
    if (n === 0) return [];
    const items = await this.use(() => this.redis.lrange(`${this.p}history:${model}`, -n, -1));
    return items.map((item) => JSON.parse(item) as HistoryEntry);
  }

  async getLabels(model: string): Promise<Record<string, number>> {
    const h = await this.use(() => this.redis.hgetall(`${this.p}labels:${model}`));
    return Object.fromEntries(Object.entries(h).map(([label, version]) => [label, Number(version)]));
  }

  async setLabel(model: string, label: string, version: number): Promise<void> {
    await this.use(() => this.redis.hset(`${this.p}labels:${model}`, label, String(version)));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Runs op once the connection is ready; any failure of Redis becomes STORE_UNAVAILABLE. */
  private async use<T>(op: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await op();
    } catch (err) {
      throw unavailable(err);
    }
  }

  private ready(): Promise<void> {
    const status = this.redis.status;
    if (status === 'ready') return Promise.resolve();
    if (status === 'end') return Promise.reject(new Error('the connection was closed'));
    this.readyWait ??= new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady).off('error', onError).off('end', onEnd);
        this.readyWait = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
      const onReady = (): void => settle();
      const onError = (err: Error): void => settle(err);
      const onEnd = (): void => settle(new Error('the connection was closed'));
      const timer = setTimeout(() => settle(new Error(`not connected after ${REDIS_READY_WAIT_MS} ms`)), REDIS_READY_WAIT_MS);
      timer.unref();
      this.redis.on('ready', onReady).on('error', onError).on('end', onEnd);
    });
    return this.readyWait;
  }

  /** EVALSHA, loading the script with EVAL when Redis does not have it (a restart, SCRIPT FLUSH). */
  private async script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(sha1Of(source), keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(source, keys.length, ...keys, ...args);
    }
  }
}

const SHA1 = new Map<string, string>();
function sha1Of(source: string): string {
  let sha = SHA1.get(source);
  if (sha === undefined) {
    sha = createHash('sha1').update(source).digest('hex');
    SHA1.set(source, sha);
  }
  return sha;
}

function unavailable(err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  return new ServingError('STORE_UNAVAILABLE', 'the Redis traffic state is unreachable; retry later', {
    cause: err instanceof Error ? err.message : String(err),
  });
}

/** A group hash → KpiCounts; undefined when the hash is gone (nothing recorded). */
function kpisOf(hash: Record<string, string>): KpiCounts | undefined {
  const entries = Object.entries(hash);
  if (entries.length === 0) return undefined;
  const kpis = emptyKpis();
  for (const [field, value] of entries) {
    if (field === 'predictions') {
      kpis.predictions = Number(value);
      continue;
    }
    const colon = field.indexOf(':');
    const kpi = KPI_FIELDS.get(field.slice(0, colon));
    if (colon > 0 && kpi !== undefined) setKpi(kpis, field.slice(colon + 1), kpi, Number(value));
  }
  return kpis;
}
