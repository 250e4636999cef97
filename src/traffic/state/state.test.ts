import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { ManualClock } from '../../util/index.js';
import { PURGE_EVERY_CALLS } from './sqlite.js';
import {
  createRedisTrafficState, createSqliteTrafficState, createTrafficState, HISTORY_MAX_ENTRIES,
  type PredictionRecord, type TrafficStateStore,
} from './index.js';

/**
 * The TrafficStateStore contract (types.ts), run with the same cases against a SQLite file and a
 * real Redis on this machine; then what only one backend promises.
 */
const REDIS_URL = process.env.SKEIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = Date.UTC(2025, 0, 1);

interface Backend {
  open(): TrafficStateStore;
  cleanup(): Promise<void>;
}

const prediction = (id: string, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({ id, model: 'purchase', version: '2', atMs: T0, ...extra });

function contract(kind: string, backend: () => Backend): void {
  describe(`${kind} traffic state`, () => {
    let b: Backend;
    let store: TrafficStateStore;
    before(() => {
      b = backend();
      store = b.open();
    });
    after(async () => {
      await store.close();
      await b.cleanup();
    });

    test('a recorded prediction reads back with every field', async () => {
      const full = prediction('p-full', { experiment: 'exp-a', arm: 'treatment', stage: 1, atMs: T0 + 5 });
      await store.recordPredictions([full, prediction('p-plain')]);
      assert.deepEqual(await store.getPrediction('p-full'), full);
      assert.deepEqual(await store.getPrediction('p-plain'), prediction('p-plain'));
      assert.equal(await store.getPrediction('p-never'), undefined);
    });

    test('feedback for an unknown prediction is unknown_prediction and counts nothing', async () => {
      assert.equal(await store.addFeedback({ predictionId: 'nope', type: 'click' }), 'unknown_prediction');
      assert.deepEqual(await store.versionKpis('nothing-here'), {});
    });

    test('the same eventId twice is counted once', async () => {
      await store.recordPredictions([prediction('p-ev', { model: 'm-ev' })]);
      assert.equal(await store.addFeedback({ predictionId: 'p-ev', type: 'click', eventId: 'e1' }), 'counted');
      assert.equal(await store.addFeedback({ predictionId: 'p-ev', type: 'click', eventId: 'e1' }), 'duplicate');
      assert.equal((await store.versionKpis('m-ev'))['2']?.byType.click?.events, 1);
    });

    test('without an eventId a second event of the same type for the same prediction is a duplicate', async () => {
      await store.recordPredictions([prediction('p-noid', { model: 'm-noid' })]);
      assert.equal(await store.addFeedback({ predictionId: 'p-noid', type: 'click' }), 'counted');
      assert.equal(await store.addFeedback({ predictionId: 'p-noid', type: 'click' }), 'duplicate');
      assert.equal(await store.addFeedback({ predictionId: 'p-noid', type: 'add_to_cart' }), 'counted');
      const kpis = (await store.versionKpis('m-noid'))['2'];
      assert.deepEqual([kpis?.byType.click?.events, kpis?.byType.add_to_cart?.events], [1, 1]);
    });

    test('two purchases of 3 and 4 on one prediction: events 2, units 1, valueSum 7, valueSumSq 49', async () => {
      await store.recordPredictions([prediction('p-buy', { model: 'm-buy' })]);
      assert.equal(await store.addFeedback({ predictionId: 'p-buy', type: 'purchase', value: 3, eventId: 'order-1' }), 'counted');
      assert.equal(await store.addFeedback({ predictionId: 'p-buy', type: 'purchase', value: 4, eventId: 'order-2' }), 'counted');
      assert.deepEqual((await store.versionKpis('m-buy'))['2'], {
        predictions: 1,
        byType: { purchase: { events: 2, units: 1, valueSum: 7, valueSumSq: 49 } },
      });
    });

    test('experimentKpis groups by arm and versionKpis by version, with prediction counts', async () => {
      const exp = (id: string, arm: string, version: string) => prediction(id, { model: 'm-group', version, experiment: 'exp-group', arm });
      await store.recordPredictions([exp('g1', 'control', '1'), exp('g2', 'control', '1'), exp('g3', 'treatment', '2'), prediction('g4', { model: 'm-group', version: '2' })]);
      await store.addFeedback({ predictionId: 'g1', type: 'purchase', value: 10 });
      await store.addFeedback({ predictionId: 'g3', type: 'purchase', value: 2 });
      await store.addFeedback({ predictionId: 'g3', type: 'click' });
      await store.addFeedback({ predictionId: 'g4', type: 'purchase', value: 5 });
      assert.deepEqual(await store.experimentKpis('exp-group'), {
        control: { predictions: 2, byType: { purchase: { events: 1, units: 1, valueSum: 10, valueSumSq: 100 } } },
        treatment: {
          predictions: 1,
          byType: { purchase: { events: 1, units: 1, valueSum: 2, valueSumSq: 4 }, click: { events: 1, units: 1, valueSum: 0, valueSumSq: 0 } },
        },
      });
      assert.deepEqual(await store.versionKpis('m-group'), {
        '1': { predictions: 2, byType: { purchase: { events: 1, units: 1, valueSum: 10, valueSumSq: 100 } } },
        '2': {
          predictions: 2,
          byType: { purchase: { events: 2, units: 2, valueSum: 7, valueSumSq: 29 }, click: { events: 1, units: 1, valueSum: 0, valueSumSq: 0 } },
        },
      });
      assert.deepEqual(await store.experimentKpis('exp-none'), {});
    });

    test('a prediction recorded twice is counted once', async () => {
      await store.recordPredictions([prediction('p-twice', { model: 'm-twice' })]);
      await store.recordPredictions([prediction('p-twice', { model: 'm-twice' })]);
      assert.equal((await store.versionKpis('m-twice'))['2']?.predictions, 1);
    });

    test('20 concurrent deliveries of the same event count once', async () => {
      await store.recordPredictions([prediction('p-race', { model: 'm-race' })]);
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.addFeedback({ predictionId: 'p-race', type: 'purchase', value: 5, eventId: 'race-1' })));
      assert.deepEqual([outcomes.filter((o) => o === 'counted').length, outcomes.filter((o) => o === 'duplicate').length], [1, 19]);
      assert.deepEqual((await store.versionKpis('m-race'))['2']?.byType.purchase, { events: 1, units: 1, valueSum: 5, valueSumSq: 25 });
    });

    test('putRollout is compare-and-set on the revision', async () => {
      assert.equal(await store.getRollout('m-roll'), undefined);
      assert.equal(await store.putRollout('m-roll', { step: 0 }, 1), false);
      assert.equal(await store.putRollout('m-roll', { step: 0 }, 0), true);
      assert.equal(await store.putRollout('m-roll', { step: 9 }, 0), false);
      assert.deepEqual(await store.getRollout('m-roll'), { model: 'm-roll', state: { step: 0 }, revision: 1 });
      assert.equal(await store.putRollout('m-roll', { step: 1 }, 1), true);
      assert.equal(await store.putRollout('m-roll', { step: 9 }, 1), false);
      assert.deepEqual(await store.getRollout('m-roll'), { model: 'm-roll', state: { step: 1 }, revision: 2 });
    });

    test('of two concurrent writers with the same revision, exactly one wins', async () => {
      await store.putRollout('m-race-roll', { step: 0 }, 0);
      const wins = await Promise.all([store.putRollout('m-race-roll', { by: 'a' }, 1), store.putRollout('m-race-roll', { by: 'b' }, 1)]);
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal((await store.getRollout('m-race-roll'))?.revision, 2);
    });

    test('history is newest last, limited to the newest entries', async () => {
      for (let i = 0; i < 5; i++) await store.appendHistory('m-hist', { atMs: T0 + i, event: 'step', detail: { i } });
      assert.deepEqual((await store.history('m-hist', 3)).map((e) => e.detail.i), [2, 3, 4]);
      assert.deepEqual(await store.history('m-hist', 1), [{ atMs: T0 + 4, event: 'step', detail: { i: 4 } }]);
      assert.equal((await store.history('m-hist', 100)).length, 5);
      assert.deepEqual(await store.history('m-hist', 0), []);
      assert.deepEqual(await store.history('m-other', 10), []);
    });

    test(`history keeps the newest ${HISTORY_MAX_ENTRIES} entries per model, not one more`, async () => {
      for (let i = 0; i < HISTORY_MAX_ENTRIES + 1; i++) await store.appendHistory('m-cap', { atMs: T0 + i, event: 'step', detail: { i } });
      const all = await store.history('m-cap', HISTORY_MAX_ENTRIES + 1);
      assert.equal(all.length, HISTORY_MAX_ENTRIES);
      assert.deepEqual([all[0]?.detail.i, all.at(-1)?.detail.i], [1, HISTORY_MAX_ENTRIES]);
    });

    test('labels are set, moved and listed per model', async () => {
      assert.deepEqual(await store.getLabels('m-label'), {});
      await store.setLabel('m-label', 'stable', 1);
      await store.setLabel('m-label', 'canary', 2);
      await store.setLabel('m-label', 'stable', 2);
      await store.setLabel('m-label-other', 'stable', 7);
      assert.deepEqual(await store.getLabels('m-label'), { stable: 2, canary: 2 });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'skein-traffic-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

contract('SQLite', () => ({
  open: () => createSqliteTrafficState({ url: join(dir, 'contract.db') }),
  cleanup: async () => undefined,
}));

const runTag = randomUUID().slice(0, 8);
const redisPrefixes: string[] = [];
function redisPrefix(name: string): string {
  const prefix = `skein-test-traffic-${runTag}-${name}:`;
  redisPrefixes.push(prefix);
  return prefix;
}
after(async () => {
  const redis = new Redis(REDIS_URL);
  for (const prefix of redisPrefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

contract('Redis', () => {
  const keyPrefix = redisPrefix('contract');
  return { open: () => createRedisTrafficState({ url: REDIS_URL, keyPrefix }), cleanup: async () => undefined };
});

describe('SQLite traffic state only', () => {
  test('state survives closing and reopening the file', async () => {
    const url = join(dir, 'reopen.db');
    const first = createSqliteTrafficState({ url });
    await first.recordPredictions([prediction('p1', { experiment: 'e', arm: 'a' })]);
    await first.addFeedback({ predictionId: 'p1', type: 'purchase', value: 3, eventId: 'o1' });
    await first.putRollout('purchase', { step: 2 }, 0);
    await first.appendHistory('purchase', { atMs: T0, event: 'started', detail: {} });
    await first.setLabel('purchase', 'stable', 2);
    await first.close();

    const second = createSqliteTrafficState({ url });
    try {
      assert.deepEqual(await second.getPrediction('p1'), prediction('p1', { experiment: 'e', arm: 'a' }));
      assert.equal(await second.addFeedback({ predictionId: 'p1', type: 'purchase', value: 3, eventId: 'o1' }), 'duplicate');
      assert.deepEqual((await second.experimentKpis('e')).a?.byType.purchase, { events: 1, units: 1, valueSum: 3, valueSumSq: 9 });
      assert.equal((await second.getRollout('purchase'))?.revision, 1);
      assert.equal((await second.history('purchase', 10)).length, 1);
      assert.deepEqual(await second.getLabels('purchase'), { stable: 2 });
    } finally {
      await second.close();
    }
  });

  test('a prediction is joinable until its ttl passes and unknown from then on', async () => {
    const clock = new ManualClock(T0);
    const store = createSqliteTrafficState({ url: ':memory:', predictionTtlMs: 1000, clock });
    try {
      await store.recordPredictions([prediction('p-ttl')]);
      clock.advance(999);
      assert.equal((await store.getPrediction('p-ttl'))?.id, 'p-ttl');
      assert.equal(await store.addFeedback({ predictionId: 'p-ttl', type: 'click' }), 'counted');
      clock.advance(1);
      assert.equal(await store.getPrediction('p-ttl'), undefined);
      assert.equal(await store.addFeedback({ predictionId: 'p-ttl', type: 'purchase' }), 'unknown_prediction');
      assert.equal((await store.versionKpis('purchase'))['2']?.predictions, 1, 'counts outlive the predictions');
    } finally {
      await store.close();
    }
  });

  test(`expired predictions and events are deleted from the file by the ${PURGE_EVERY_CALLS}th recordPredictions call`, async () => {
    const url = join(dir, 'purge.db');
    const clock = new ManualClock(T0);
    const store = createSqliteTrafficState({ url, predictionTtlMs: 1000, clock });
    const rows = (table: string) => {
      const db = new Database(url, { readonly: true });
      try {
        return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      await store.recordPredictions([prediction('old')]);
      await store.addFeedback({ predictionId: 'old', type: 'purchase', value: 1 });
      clock.advance(1000);
      for (let i = 2; i < PURGE_EVERY_CALLS; i++) await store.recordPredictions([prediction(`new-${i}`)]);
      assert.deepEqual([rows('skein_traffic_predictions'), rows('skein_traffic_events')], [PURGE_EVERY_CALLS - 1, 1]);
      await store.recordPredictions([prediction('last')]);
      assert.deepEqual([rows('skein_traffic_predictions'), rows('skein_traffic_events'), rows('skein_traffic_prediction_values')], [PURGE_EVERY_CALLS - 1, 0, 0]);
    } finally {
      await store.close();
    }
  });

  test('a file in a directory that does not exist is STORE_UNAVAILABLE', () => {
    assert.throws(() => createSqliteTrafficState({ url: join(dir, 'missing', 'state.db') }), { code: 'STORE_UNAVAILABLE' });
  });
});

describe('Redis traffic state only', () => {
  test('two stores with the same prefix (two replicas) share predictions, dedup and counts', async () => {
    const keyPrefix = redisPrefix('replicas');
    const a = createRedisTrafficState({ url: REDIS_URL, keyPrefix });
    const b = createRedisTrafficState({ url: REDIS_URL, keyPrefix });
    try {
      await a.recordPredictions([prediction('r1', { experiment: 'e', arm: 'x' })]);
      await b.recordPredictions([prediction('r2', { experiment: 'e', arm: 'x' })]);
      assert.equal(await b.addFeedback({ predictionId: 'r1', type: 'purchase', value: 2, eventId: 'o1' }), 'counted');
      assert.equal(await a.addFeedback({ predictionId: 'r1', type: 'purchase', value: 2, eventId: 'o1' }), 'duplicate');
      assert.deepEqual(await a.experimentKpis('e'), { x: { predictions: 2, byType: { purchase: { events: 1, units: 1, valueSum: 2, valueSumSq: 4 } } } });
      assert.deepEqual(await b.experimentKpis('e'), await a.experimentKpis('e'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a prediction and its event marker expire with the prediction ttl', async () => {
    const keyPrefix = redisPrefix('pttl');
    const store = createRedisTrafficState({ url: REDIS_URL, keyPrefix, predictionTtlMs: 60_000 });
    const redis = new Redis(REDIS_URL);
    try {
      await store.recordPredictions([prediction('t1')]);
      assert.equal(await store.addFeedback({ predictionId: 't1', type: 'click', eventId: 'c1' }), 'counted');
      // Both keys must expire, or the store grows without bound.
      for (const key of [`${keyPrefix}pred:t1`, `${keyPrefix}event:id:c1`]) {
        const pttl = await redis.pttl(key);
        assert.ok(pttl > 0 && pttl <= 60_000, `${key} has pttl ${pttl}`);
      }
    } finally {
      await store.close();
      await redis.quit();
    }
  });

  test('a prediction is gone once its ttl passes, and feedback for it is unknown_prediction', async () => {
    const store = createRedisTrafficState({ url: REDIS_URL, keyPrefix: redisPrefix('ttl'), predictionTtlMs: 20 });
    try {
      await store.recordPredictions([prediction('t2')]);
      // Redis expires keys on its own clock: poll without a timer, a bounded number of round trips.
      let gone = false;
      for (let i = 0; i < 100_000 && !gone; i++) gone = (await store.getPrediction('t2')) === undefined;
      assert.ok(gone, 'the prediction outlived its ttl');
      assert.equal(await store.addFeedback({ predictionId: 't2', type: 'purchase' }), 'unknown_prediction');
    } finally {
      await store.close();
    }
  });

  test('an unreachable Redis rejects with STORE_UNAVAILABLE instead of hanging', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const store = createRedisTrafficState({ url: `redis://127.0.0.1:${port}`, keyPrefix: redisPrefix('down') });
    try {
      await assert.rejects(store.getPrediction('x'), { code: 'STORE_UNAVAILABLE' });
      await assert.rejects(store.addFeedback({ predictionId: 'x', type: 'click' }), { code: 'STORE_UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });

  test('a bad key prefix is INVALID_CONFIG', () => {
    assert.throws(() => createRedisTrafficState({ url: REDIS_URL, keyPrefix: 'has space' }), { code: 'INVALID_CONFIG' });
  });
});

describe('createTrafficState', () => {
  test('picks Redis for redis:// and SQLite for a path or :memory:', async () => {
    const keyPrefix = redisPrefix('create');
    const viaRedis = createTrafficState({ url: REDIS_URL, keyPrefix });
    const direct = createRedisTrafficState({ url: REDIS_URL, keyPrefix });
    const memory = createTrafficState({ url: ':memory:' });
    try {
      await viaRedis.setLabel('m', 'stable', 3);
      assert.deepEqual(await direct.getLabels('m'), { stable: 3 });
      await memory.setLabel('m', 'stable', 4);
      assert.deepEqual(await memory.getLabels('m'), { stable: 4 });
    } finally {
      await Promise.all([viaRedis.close(), direct.close(), memory.close()]);
    }
  });

  test('rejects other schemes and a bad ttl with INVALID_CONFIG', () => {
    assert.throws(() => createTrafficState({ url: 'postgres://localhost/x' }), { code: 'INVALID_CONFIG' });
    assert.throws(() => createTrafficState({ url: ':memory:', predictionTtlMs: 0 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => createTrafficState({ url: ':memory:', predictionTtlMs: 1.5 }), { code: 'INVALID_CONFIG' });
  });
});
