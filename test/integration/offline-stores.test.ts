import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createPredictionStore, type LookupStore } from '../../src/offline/store/index.js';
import type { ChunkRow, PredictionValue } from '../../src/offline/index.js';

/**
 * The PredictionStore contract (src/offline/types.ts), run with the same cases against SQLite,
 * PostgreSQL and Redis — real ones, on this machine.
 */
const PG_URL = process.env.SKEIN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.SKEIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Opened {
  store: LookupStore;
  url: string;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2025, 0, 1);
/** A wall clock that moves one second per reading, so timestamps differ and order is clear. */
function steppingClock(): () => number {
  let t = T0;
  return () => (t += 1000);
}

const begin = (runId: string, set = 'purchase') => ({ set, runId, model: 'purchase', version: '3', defaultValue: { p: [0.01] } });
const rows = (n: number, value: (i: number) => PredictionValue, from = 0): ChunkRow[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${String(from + i).padStart(5, '0')}`, value: value(from + i) }));

async function writeRun(store: LookupStore, runId: string, n: number, value: (i: number) => PredictionValue, gate: 'passed' | 'failed' | 'none' = 'passed'): Promise<void> {
  await store.beginRun(begin(runId));
  await store.writeChunk('purchase', runId, 0, rows(n, value), 0);
  await store.completeRun('purchase', runId);
  if (gate !== 'none') await store.setGateResult('purchase', runId, gate === 'passed', { checks: [] });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

async function collect(it: AsyncIterable<ChunkRow>): Promise<ChunkRow[]> {
  const out: ChunkRow[] = [];
  for await (const row of it) out.push(row);
  return out;
}

function storeContract(kind: string, open: () => Promise<Opened>): void {
  describe(`${kind} prediction store`, () => {
    let opened: Opened;
    let store: LookupStore;
    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => {
      await store.close();
      await opened.cleanup();
    });

    test('beginRun is idempotent: a resumed job changes nothing', async () => {
      await store.beginRun(begin('r-idem', 'idem'));
      await store.writeChunk('idem', 'r-idem', 0, rows(3, () => ({ p: [1] })), 1);
      await store.beginRun({ ...begin('r-idem', 'idem'), model: 'other', version: '9' });
      const run = await store.getRun('idem', 'r-idem');
      assert.deepEqual([run?.model, run?.version, run?.status, run?.rowCount, run?.rejectedCount], ['purchase', '3', 'writing', 3, 1]);
      assert.equal((await store.listRuns('idem')).length, 1);
    });

    test('a chunk written twice leaves the same rows, and committedChunks lists each chunk once', async () => {
      await store.beginRun(begin('r-twice', 'twice'));
      await store.writeChunk('twice', 'r-twice', 0, rows(4, (i) => ({ p: [i] })), 2);
      await store.writeChunk('twice', 'r-twice', 1, rows(3, (i) => ({ p: [i] }), 4), 0);
      await store.writeChunk('twice', 'r-twice', 0, rows(4, (i) => ({ p: [i] })), 2);
      const run = await store.getRun('twice', 'r-twice');
      assert.deepEqual([run?.rowCount, run?.rejectedCount], [7, 2]);
      assert.deepEqual([...(await store.committedChunks('twice', 'r-twice'))].sort(), [0, 1]);
      assert.equal((await collect(store.scanValues('twice', 'r-twice', 100))).length, 7);
    });

    test('a chunk whose every row was rejected commits with no rows and counts its rejects', async () => {
      await store.beginRun(begin('r-empty', 'empty'));
      await store.writeChunk('empty', 'r-empty', 0, [], 5);
      await store.writeChunk('empty', 'r-empty', 1, rows(2, (i) => ({ p: [i] })), 0);
      const run = await store.getRun('empty', 'r-empty');
      assert.deepEqual([run?.rowCount, run?.rejectedCount], [2, 5]);
      assert.deepEqual([...(await store.committedChunks('empty', 'r-empty'))].sort(), [0, 1]);
      assert.equal((await collect(store.scanValues('empty', 'r-empty', 100))).length, 2);
    });

    test('writeChunk before beginRun or after completeRun is refused and writes nothing', async () => {
      assert.equal(await codeOf(store.writeChunk('closed', 'r-none', 0, rows(1, () => ({ p: [1] })), 0)), 'RUN_NOT_FOUND');
      await store.beginRun(begin('r-closed', 'closed'));
      await store.completeRun('closed', 'r-closed');
      assert.equal(await codeOf(store.writeChunk('closed', 'r-closed', 0, rows(1, () => ({ p: [1] })), 0)), 'RUN_NOT_WRITABLE');
      assert.equal((await store.getRun('closed', 'r-closed'))?.rowCount, 0);
      assert.equal((await store.committedChunks('closed', 'r-closed')).size, 0);
    });

    test('a chunk with one bad key writes none of its rows', async () => {
      await store.beginRun(begin('r-bad', 'badkey'));
      const chunk = [...rows(2, () => ({ p: [1] })), { key: 'a\u0000b', value: { p: [1] } }];
      assert.equal(await codeOf(store.writeChunk('badkey', 'r-bad', 0, chunk, 0)), 'INVALID_REQUEST');
      assert.equal((await store.committedChunks('badkey', 'r-bad')).size, 0);
    });

    test('nothing of a run is visible to lookups before it is published', async () => {
      await writeRun(store, 'r-a', 10, () => ({ p: [0.5] }));
      assert.equal(await store.published('purchase'), undefined);
      assert.equal(await codeOf(store.lookup('purchase', ['k00000'])), 'SET_NOT_FOUND');
    });

    test('publish refuses a writing run even when forced, and complete or failed runs unless forced', async () => {
      await store.beginRun(begin('r-writing'));
      assert.equal(await codeOf(store.publish('purchase', 'r-writing', { force: true })), 'RUN_NOT_PUBLISHABLE');
      await writeRun(store, 'r-ungated', 1, () => ({ p: [1] }), 'none');
      assert.equal(await codeOf(store.publish('purchase', 'r-ungated')), 'RUN_NOT_PUBLISHABLE');
      await writeRun(store, 'r-failed', 1, () => ({ p: [1] }), 'failed');
      assert.equal(await codeOf(store.publish('purchase', 'r-failed')), 'RUN_NOT_PUBLISHABLE');
      assert.equal(await codeOf(store.publish('purchase', 'r-missing')), 'RUN_NOT_FOUND');
      assert.equal(await store.published('purchase'), undefined);
    });

    test('a published run answers lookups in request order, undefined for keys not precomputed', async () => {
      const run = await store.publish('purchase', 'r-a');
      assert.deepEqual([run.published, run.forced, typeof run.publishedAt], [true, undefined, 'string']);
      assert.deepEqual(await store.lookup('purchase', ['k00009', 'nope', 'k00000']), [{ p: [0.5] }, undefined, { p: [0.5] }]);
      assert.deepEqual(await store.lookupPublished('purchase', []), { runId: 'r-a', values: [] });
      assert.equal((await store.published('purchase'))?.runId, 'r-a');
    });

    test('a forced publish is recorded on the run', async () => {
      await store.beginRun(begin('r-forced', 'forced'));
      await store.completeRun('forced', 'r-forced');
      await store.setGateResult('forced', 'r-forced', false, { reason: 'drift' });
      const run = await store.publish('forced', 'r-forced', { force: true });
      assert.deepEqual([run.forced, run.status, run.gateReport], [true, 'failed', { reason: 'drift' }]);
    });

    test('completeRun again keeps the gate verdict', async () => {
      const run = await store.completeRun('purchase', 'r-failed');
      assert.equal(run.status, 'failed');
    });

    test('rollback points lookups back at the run published before, one step at a time', async () => {
      await writeRun(store, 'r-b', 10, () => ({ p: [0.7] }));
      await writeRun(store, 'r-c', 10, () => ({ p: [0.9] }));
      await store.publish('purchase', 'r-b');
      await store.publish('purchase', 'r-c');
      assert.deepEqual(await store.lookup('purchase', ['k00001']), [{ p: [0.9] }]);
      assert.equal((await store.rollback('purchase')).runId, 'r-b');
      assert.deepEqual(await store.lookup('purchase', ['k00001']), [{ p: [0.7] }]);
      assert.equal((await store.rollback('purchase')).runId, 'r-a');
      assert.deepEqual(await store.lookup('purchase', ['k00001']), [{ p: [0.5] }]);
      assert.equal(await codeOf(store.rollback('purchase')), 'RUN_NOT_FOUND');
      assert.equal(await codeOf(store.rollback('never-published')), 'SET_NOT_FOUND');
      const runs = await store.listRuns('purchase');
      assert.deepEqual(runs.filter((r) => r.published).map((r) => r.runId), ['r-a']);
    });

    test('listRuns lists newest first, for one set or all', async () => {
      const ids = (await store.listRuns('purchase')).map((r) => r.runId);
      assert.deepEqual(ids, ['r-c', 'r-b', 'r-failed', 'r-ungated', 'r-writing', 'r-a']);
      const all = await store.listRuns();
      assert.equal(all[0]?.set, 'purchase');
      assert.equal(all[0]?.runId, 'r-c');
      assert.ok(all.some((r) => r.set === 'idem') && all.some((r) => r.set === 'forced'));
      assert.deepEqual(await store.listRuns('no-such-set'), []);
    });

    test('scanValues yields at most limit rows, across pages', async () => {
      await store.beginRun(begin('r-scan', 'scan'));
      await store.writeChunk('scan', 'r-scan', 0, rows(1500, (i) => ({ p: [i] })), 0);
      assert.equal((await collect(store.scanValues('scan', 'r-scan', 1200))).length, 1200);
      const all = await collect(store.scanValues('scan', 'r-scan', 5000));
      assert.equal(new Set(all.map((r) => r.key)).size, 1500);
      assert.equal((await collect(store.scanValues('scan', 'r-scan', 0))).length, 0);
      assert.equal((await collect(store.scanValues('scan', 'r-scan', 1))).length, 1);
    });

    test('keys are checked: 256 characters pass, 257 and control characters are INVALID_REQUEST', async () => {
      assert.deepEqual(await store.lookup('purchase', ['x'.repeat(256)]), [undefined]);
      assert.equal(await codeOf(store.lookup('purchase', ['x'.repeat(257)])), 'INVALID_REQUEST');
      assert.equal(await codeOf(store.lookup('purchase', ['a\nb'])), 'INVALID_REQUEST');
      assert.equal(await codeOf(store.lookup('purchase', [''])), 'INVALID_REQUEST');
    });

    test('1,000 lookups during a publish each see the old run whole or the new run whole', async () => {
      await writeRun(store, 'r-old', 50, () => ({ p: [1] }));
      await writeRun(store, 'r-new', 50, () => ({ p: [2] }));
      await store.publish('purchase', 'r-old');
      const keys = rows(50, () => ({ p: [0] })).map((r) => r.key);
      // 20 waves of 50 concurrent lookups; the publish starts before wave 5 and runs across later waves.
      const answers: { runId: string; values: unknown[] }[] = [];
      let publish: Promise<unknown> = Promise.resolve();
      for (let wave = 0; wave < 20; wave++) {
        if (wave === 5) publish = store.publish('purchase', 'r-new');
        answers.push(...(await Promise.all(Array.from({ length: 50 }, () => store.lookupPublished('purchase', keys)))));
      }
      await publish;
      const seen = new Set<string>();
      for (const { runId, values } of answers) {
        const distinct = new Set(values.map((v) => JSON.stringify(v)));
        assert.equal(distinct.size, 1, 'one answer mixed two runs');
        assert.equal([...distinct][0], JSON.stringify({ p: [runId === 'r-old' ? 1 : 2] }));
        seen.add(runId);
      }
      assert.deepEqual([seen.has('r-old'), seen.has('r-new')], [true, true]);
      assert.deepEqual(await store.lookup('purchase', ['k00000']), [{ p: [2] }]);
    });
  });
}

storeContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skein-store-'));
  const url = `sqlite://${join(dir, 'predictions.db')}`;
  return { store: await createPredictionStore(url, { nowMs: steppingClock() }), url, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// The same store with its chunks committed on the event loop instead of the writer thread.
storeContract('SQLite (writes on the event loop)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skein-store-'));
  const url = `sqlite://${join(dir, 'predictions.db')}`;
  return { store: await createPredictionStore(url, { nowMs: steppingClock(), writerThread: false }), url, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

storeContract('PostgreSQL', async () => {
  const schema = `skein_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = `${PG_URL}?schema=${schema}`;
  return {
    store: await createPredictionStore(url, { nowMs: steppingClock() }),
    url,
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
});

storeContract('Redis', async () => {
  const prefix = `skein-test-${randomUUID().slice(0, 8)}:pred`;
  const url = `${REDIS_URL}?prefix=${prefix}`;
  return {
    store: await createPredictionStore(url, { nowMs: steppingClock() }),
    url,
    async cleanup() {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
});

describe('createPredictionStore', () => {
  test('an unknown scheme is INVALID_CONFIG', async () => {
    assert.equal(await codeOf(createPredictionStore('mysql://localhost/db')), 'INVALID_CONFIG');
  });
  test('a bad postgres schema or redis prefix is INVALID_CONFIG', async () => {
    assert.equal(await codeOf(createPredictionStore(`${PG_URL}?schema=a;drop`)), 'INVALID_CONFIG');
    assert.equal(await codeOf(createPredictionStore(`${REDIS_URL}?prefix=a b`)), 'INVALID_CONFIG');
  });
});
