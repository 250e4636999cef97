import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCoalescingStore, createFeatureStore, type FeatureStore } from './index.js';

const opened: FeatureStore[] = [];
after(async () => {
  for (const s of opened) await s.close();
});

/** A real in-memory SQLite store that records each get() it receives (entity, ids). */
async function recorded(failWith?: Error): Promise<{ store: FeatureStore; calls: [string, string[]][] }> {
  const inner = createFeatureStore({ url: ':memory:' });
  opened.push(inner);
  await inner.put('user', [{ id: 'u1', values: { n: 1 }, updatedAtMs: 1 }, { id: 'u2', values: { n: 2 }, updatedAtMs: 1 }]);
  await inner.put('product', [{ id: 'p1', values: { price: 3 }, updatedAtMs: 1 }]);
  const calls: [string, string[]][] = [];
  const store: FeatureStore = {
    kind: inner.kind,
    get(entity, ids) {
      calls.push([entity, [...ids]]);
      return failWith ? Promise.reject(failWith) : inner.get(entity, ids);
    },
    put: (entity, rows) => inner.put(entity, rows),
    close: async () => {},
  };
  return { store, calls };
}

describe('coalescing feature store', () => {
  test('merges the gets of one event-loop turn into one get per entity; each caller sees only its ids', async () => {
    const { store, calls } = await recorded();
    const c = createCoalescingStore(store);
    const [a, b, p, none] = await Promise.all([c.get('user', ['u1']), c.get('user', ['u2', 'u1', 'u9']), c.get('product', ['p1']), c.get('user', [])]);
    assert.deepEqual(calls, [['user', ['u1', 'u2', 'u9']], ['product', ['p1']]]);
    assert.deepEqual([...a.keys()], ['u1']);
    assert.deepEqual([...b.keys()].sort(), ['u1', 'u2']);
    assert.equal(b.get('u2')!.values.n, 2);
    assert.equal(p.get('p1')!.values.price, 3);
    assert.equal(none.size, 0);
    await c.get('user', ['u1']);
    assert.equal(calls.length, 3, 'a later turn is a new get');
  });

  test('a failing lookup rejects every caller of that flush', async () => {
    const { store } = await recorded(new Error('store down'));
    const c = createCoalescingStore(store);
    const results = await Promise.allSettled([c.get('user', ['u1']), c.get('user', ['u2'])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  });

  test('sends at once when maxPendingIds ids wait, not one id earlier', async () => {
    const { store, calls } = await recorded();
    const c = createCoalescingStore(store, { maxPendingIds: 3 });
    const first = c.get('user', ['a', 'b']);
    assert.equal(calls.length, 0, '2 ids wait for the next turn');
    const second = c.get('user', ['c']);
    assert.deepEqual(calls, [['user', ['a', 'b', 'c']]], 'the third id sends the batch without waiting');
    await Promise.all([first, second]);
    assert.throws(() => createCoalescingStore(store, { maxPendingIds: 0 }), { code: 'INVALID_CONFIG' });
  });
});
