import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  createFeatureAssembler, createFeatureMetrics, createFeatureStore, FEATURE_STORE_BATCH_MAX, type FeatureStore,
} from '../../src/features/index.js';
import { ManualClock } from '../../src/util/index.js';
import { SHOP_SPEC, deleteByPrefix, event, T0 } from './features-fixtures.js';

const URL = 'redis://127.0.0.1:6379';
let redis: Redis;
const prefixes: string[] = [];
const stores: FeatureStore[] = [];

function prefix(): string {
  const p = `test:feat:${process.pid}:${Date.now()}:${prefixes.length}`;
  prefixes.push(p);
  return p;
}

function open(options: Partial<Parameters<typeof createFeatureStore>[0]> = {}): FeatureStore {
  const store = createFeatureStore({ url: URL, keyPrefix: prefix(), ...options });
  stores.push(store);
  return store;
}

before(() => {
  redis = new Redis(URL);
});
after(async () => {
  for (const s of stores) await s.close();
  for (const p of prefixes) await deleteByPrefix(redis, p);
  redis.disconnect();
});

describe('Redis feature store', () => {
  test('stores one hash per entity id and reads it back; unknown ids are absent', async () => {
    const store = open();
    assert.deepEqual(await store.put('user', [{ id: 'u:1', values: { purchases: 3, by: { a: 1 } }, updatedAtMs: 10 }]), { written: 1, stale: 0, expired: 0 });
    const got = await store.get('user', ['u:1', 'u2']);
    assert.deepEqual([...got.entries()], [['u:1', { values: { purchases: 3, by: { a: 1 } }, updatedAtMs: 10 }]]);
    const key = `${prefixes.at(-1)}:user:u:1`;
    assert.deepEqual(await redis.hgetall(key), { v: '{"purchases":3,"by":{"a":1}}', t: '10' });
    assert.equal(await redis.pttl(key), -1, 'no TTL declared: no expiry');
  });

  test('latest wins: a late-arriving older update is stale; a tie goes to the later arrival', async () => {
    const store = open();
    await store.put('user', [{ id: 'u1', values: { v: 'new' }, updatedAtMs: 200 }]);
    assert.deepEqual(await store.put('user', [{ id: 'u1', values: { v: 'old' }, updatedAtMs: 100 }]), { written: 0, stale: 1, expired: 0 });
    assert.equal((await store.get('user', ['u1'])).get('u1')!.values.v, 'new');
    await store.put('user', [{ id: 'u1', values: { v: 'tie' }, updatedAtMs: 200 }]);
    assert.equal((await store.get('user', ['u1'])).get('u1')!.values.v, 'tie');
    await store.put('user', [{ id: 'u2', values: { v: 'b' }, updatedAtMs: 2 }, { id: 'u2', values: { v: 'a' }, updatedAtMs: 1 }]);
    assert.equal((await store.get('user', ['u2'])).get('u2')!.values.v, 'b');
  });

  test('a TTL expires the hash at updatedAtMs + ttlMs; an already expired update is skipped', async () => {
    const now = Date.now();
    const store = open({ ttlMs: { user: 60_000 } });
    const r = await store.put('user', [
      { id: 'fresh', values: { v: 1 }, updatedAtMs: now - 10_000 },
      { id: 'gone', values: { v: 1 }, updatedAtMs: now - 60_000 - 1000 },
    ]);
    assert.deepEqual(r, { written: 1, stale: 0, expired: 1 });
    const ttl = await redis.pttl(`${prefixes.at(-1)}:user:fresh`);
    assert.ok(ttl > 0 && ttl <= 50_000, `pttl ${ttl}`);
    assert.equal(await redis.exists(`${prefixes.at(-1)}:user:gone`), 0);
    assert.deepEqual([...(await store.get('user', ['fresh', 'gone'])).keys()], ['fresh']);
    // A newer update moves the expiry forward with it.
    await store.put('user', [{ id: 'fresh', values: { v: 2 }, updatedAtMs: now }]);
    assert.ok((await redis.pttl(`${prefixes.at(-1)}:user:fresh`)) > 50_000);
  });

  test('get and put split more than FEATURE_STORE_BATCH_MAX ids into batches', async () => {
    const store = open();
    const n = FEATURE_STORE_BATCH_MAX + 7;
    const rows = Array.from({ length: n }, (_, i) => ({ id: `u${i}`, values: { i }, updatedAtMs: 1 }));
    assert.equal((await store.put('user', rows)).written, n);
    const got = await store.get('user', rows.map((r) => r.id));
    assert.equal(got.size, n);
    assert.equal(got.get(`u${n - 1}`)!.values.i, n - 1);
  });
});

describe('store outage: declared defaults, counted, never an error', () => {
  test('Redis down (connection refused): every row assembles with defaults and store errors are counted', async () => {
    const store = createFeatureStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    stores.push(store);
    const registry = new Registry();
    const failures: string[] = [];
    const { assemble } = createFeatureAssembler({ spec: SHOP_SPEC, store, metrics: createFeatureMetrics(registry), onStoreError: (e) => failures.push(e) });
    for (let i = 0; i < 3; i++) {
      const out = await assemble([event(T0), event(T0, { user_id: 'u2' })]);
      assert.equal(out.vectors.length, 2);
      assert.equal(out.vectors[0]!.log_price, null);
      assert.equal(out.vectors[0]!.title_match, null);
      assert.equal(out.vectors[0]!.query_length, 0.25, 'request features are unaffected');
      assert.equal((out.tensors[0]!.data as Float32Array)[3], -1, 'log_price took its default');
    }
    const text = await registry.metrics();
    assert.match(text, /skein_feature_store_errors_total\{feature_set="shop"\} 12/, '3 calls × 2 rows × 2 entities');
    assert.deepEqual(failures.sort(), ['product', 'product', 'product', 'user', 'user', 'user']);
  });

  test('Redis hung (accepts, never answers): the lookup is abandoned after lookupTimeoutMs', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => { sockets.add(s); s.on('error', () => undefined); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const store = createFeatureStore({ url: `redis://127.0.0.1:${port}` });
    try {
      const clock = new ManualClock();
      const registry = new Registry();
      const { assemble } = createFeatureAssembler({ spec: SHOP_SPEC, store, clock, lookupTimeoutMs: 100, metrics: createFeatureMetrics(registry) });
      const pending = assemble([event(T0)]);
      clock.advance(99);
      let settled = false;
      void pending.then(() => { settled = true; });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(settled, false, 'still waiting before the timeout');
      clock.advance(1);
      const out = await pending;
      assert.equal(out.vectors[0]!.user_purchases, null);
      assert.match(await registry.metrics(), /skein_feature_store_errors_total\{feature_set="shop"\} 2/);
      assert.match(await registry.metrics(), /skein_feature_lookup_seconds_sum\{source="user"\} 0.1/);
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
