import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyBatcher } from './key-batcher.js';

/** A fetch that answers two replies per key (`<key>.v`, `<key>.t`) and records its calls. */
function recording(): { calls: string[][]; fetch: (keys: string[]) => Promise<string[]> } {
  const calls: string[][] = [];
  return {
    calls,
    fetch: async (keys) => {
      calls.push(keys);
      return keys.flatMap((k) => [`${k}.v`, `${k}.t`]);
    },
  };
}

const partOf = (p: { replies: readonly string[]; at: number }, n: number): string[] => p.replies.slice(2 * p.at, 2 * (p.at + n));

describe('key batcher', () => {
  test('requests made together become one call; each gets its own replies', async () => {
    const { calls, fetch } = recording();
    const batcher = new KeyBatcher(10, fetch);
    const [users, products] = await Promise.all([batcher.request(['u1', 'u2']), batcher.request(['p1'])]);
    assert.deepEqual(calls, [['u1', 'u2', 'p1']]);
    assert.deepEqual(partOf(users, 2), ['u1.v', 'u1.t', 'u2.v', 'u2.t']);
    assert.deepEqual(partOf(products, 1), ['p1.v', 'p1.t']);
  });

  test('requests made apart (after an await) are separate calls', async () => {
    const { calls, fetch } = recording();
    const batcher = new KeyBatcher(10, fetch);
    await batcher.request(['a']);
    await batcher.request(['b']);
    assert.deepEqual(calls, [['a'], ['b']]);
  });

  test('a call holds at most maxKeys keys: maxKeys fit in one, one more starts another', async () => {
    const { calls, fetch } = recording();
    const batcher = new KeyBatcher(4, fetch);
    await Promise.all([batcher.request(['a', 'b']), batcher.request(['c', 'd'])]);
    assert.deepEqual(calls, [['a', 'b', 'c', 'd']]);
    calls.length = 0;
    const parts = await Promise.all([batcher.request(['a', 'b']), batcher.request(['c', 'd']), batcher.request(['e'])]);
    assert.deepEqual(calls, [['a', 'b', 'c', 'd'], ['e']]);
    assert.deepEqual(partOf(parts[2], 1), ['e.v', 'e.t']);
    assert.throws(() => batcher.request(['a', 'b', 'c', 'd', 'e']), /1 to 4 keys/);
    assert.throws(() => batcher.request([]), /1 to 4 keys/);
  });

  test('a failed call rejects every request merged into it, a throwing fetch too', async () => {
    const failing = new KeyBatcher<string>(10, async () => { throw new Error('down'); });
    const results = await Promise.allSettled([failing.request(['a']), failing.request(['b'])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    const throwing = new KeyBatcher<string>(10, () => { throw new Error('no connection'); });
    await assert.rejects(throwing.request(['a']), /no connection/);
  });
});
