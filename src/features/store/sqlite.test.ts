import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServingError } from '../../errors/index.js';
import { createFeatureStore, FEATURE_STORE_BATCH_MAX } from './index.js';

describe('SQLite feature store', () => {
  test('stores and reads values by entity and id; unknown ids are absent', async () => {
    const store = createFeatureStore({ url: ':memory:' });
    const r = await store.put('user', [{ id: 'u1', values: { purchases: 3, tags: ['a'] }, updatedAtMs: 10 }]);
    assert.deepEqual(r, { written: 1, stale: 0, expired: 0 });
    const got = await store.get('user', ['u1', 'u2']);
    assert.deepEqual([...got.keys()], ['u1']);
    assert.deepEqual(got.get('u1'), { values: { purchases: 3, tags: ['a'] }, updatedAtMs: 10 });
    assert.equal((await store.get('product', ['u1'])).size, 0);
    await store.close();
  });

  test('latest wins: a late-arriving older update never overwrites a newer one; a tie goes to the later arrival', async () => {
    const store = createFeatureStore({ url: ':memory:' });
    await store.put('user', [{ id: 'u1', values: { v: 'new' }, updatedAtMs: 200 }]);
    const late = await store.put('user', [{ id: 'u1', values: { v: 'old' }, updatedAtMs: 100 }]);
    assert.deepEqual(late, { written: 0, stale: 1, expired: 0 });
    assert.equal((await store.get('user', ['u1'])).get('u1')!.values.v, 'new');
    await store.put('user', [{ id: 'u1', values: { v: 'tie' }, updatedAtMs: 200 }]);
    assert.equal((await store.get('user', ['u1'])).get('u1')!.values.v, 'tie');
    // Within one batch, rows apply in order with the same rule.
    await store.put('user', [{ id: 'u2', values: { v: 'b' }, updatedAtMs: 2 }, { id: 'u2', values: { v: 'a' }, updatedAtMs: 1 }]);
    assert.equal((await store.get('user', ['u2'])).get('u2')!.values.v, 'b');
    await store.close();
  });

  test('a value is served until updatedAtMs + ttlMs, then missing; an expired put is skipped', async () => {
    let now = 1_000_000;
    const store = createFeatureStore({ url: ':memory:', ttlMs: { user: 1000 }, nowMs: () => now });
    const r = await store.put('user', [
      { id: 'fresh', values: { v: 1 }, updatedAtMs: now - 999 },
      { id: 'old', values: { v: 1 }, updatedAtMs: now - 1000 },
    ]);
    assert.deepEqual(r, { written: 1, stale: 0, expired: 1 });
    assert.deepEqual([...(await store.get('user', ['fresh', 'old'])).keys()], ['fresh']);
    now += 1;
    assert.equal((await store.get('user', ['fresh'])).size, 0);
    // Entities without a TTL keep their values.
    await store.put('product', [{ id: 'p', values: {}, updatedAtMs: 0 }]);
    assert.equal((await store.get('product', ['p'])).size, 1);
    await store.close();
  });

  test('get and put split more than FEATURE_STORE_BATCH_MAX ids into batches', async () => {
    const store = createFeatureStore({ url: ':memory:' });
    const n = FEATURE_STORE_BATCH_MAX * 2 + 1;
    const rows = Array.from({ length: n }, (_, i) => ({ id: `u${i}`, values: { i }, updatedAtMs: 1 }));
    assert.equal((await store.put('user', rows)).written, n);
    const got = await store.get('user', rows.map((r) => r.id));
    assert.equal(got.size, n);
    assert.equal(got.get(`u${n - 1}`)!.values.i, n - 1);
    await store.close();
  });

  test('key prefixes keep two namespaces apart in one file, and the file persists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skein-fstore-'));
    try {
      const url = `sqlite://${join(dir, 'f.db')}`;
      const a = createFeatureStore({ url, keyPrefix: 'a' });
      await a.put('user', [{ id: 'u1', values: { v: 'a' }, updatedAtMs: 1 }]);
      await a.close();
      const b = createFeatureStore({ url, keyPrefix: 'b' });
      assert.equal((await b.get('user', ['u1'])).size, 0);
      await b.close();
      const again = createFeatureStore({ url, keyPrefix: 'a' });
      assert.equal((await again.get('user', ['u1'])).get('u1')!.values.v, 'a');
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad options and rows are INVALID_CONFIG', async () => {
    const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => isServingError(e) && e.code === 'INVALID_CONFIG');
    bad(() => createFeatureStore({ url: 'postgres://x/y' }));
    bad(() => createFeatureStore({ url: ':memory:', ttlMs: 0 }));
    bad(() => createFeatureStore({ url: ':memory:', keyPrefix: 'no spaces' }));
    const store = createFeatureStore({ url: ':memory:' });
    await assert.rejects(store.put('user', [{ id: '', values: {}, updatedAtMs: 1 }]), (e: unknown) => isServingError(e) && e.code === 'INVALID_CONFIG');
    await assert.rejects(store.put('user', [{ id: 'x'.repeat(257), values: {}, updatedAtMs: 1 }]), (e: unknown) => isServingError(e) && e.code === 'INVALID_CONFIG');
    await assert.rejects(store.get('no-dashes', ['x']), (e: unknown) => isServingError(e) && e.code === 'INVALID_CONFIG');
    await store.close();
  });
});
