import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../../errors/index.js';
import type { PublishedLookup } from '../store/index.js';
import { mergeLookups } from './merge.js';

/** A fake store read over `run`'s values (key → number), recording every call it gets. */
function recordingRead(runs: Record<string, { runId: string; values: Record<string, number> }>) {
  const calls: { set: string; keys: string[] }[] = [];
  const read = async (set: string, keys: readonly string[]): Promise<PublishedLookup> => {
    calls.push({ set, keys: [...keys] });
    const run = runs[set];
    if (run === undefined) throw new ServingError('SET_NOT_FOUND', 'no published run');
    return { runId: run.runId, values: keys.map((k) => (k in run.values ? { p: [run.values[k]!] } : undefined)) };
  };
  return { read, calls };
}

describe('merged store lookups', () => {
  test('lookups of one loop turn for a set are one store read, and each gets its own keys in order', async () => {
    const { read, calls } = recordingRead({ s: { runId: 'r1', values: { a: 1, b: 2, c: 3 } } });
    const merged = mergeLookups(read);
    const [x, y, z] = await Promise.all([merged('s', ['a', 'b']), merged('s', ['zz']), merged('s', ['c', 'a'])]);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], { set: 's', keys: ['a', 'b', 'zz', 'c', 'a'] });
    assert.deepEqual(x, { runId: 'r1', values: [{ p: [1] }, { p: [2] }] });
    assert.deepEqual(y, { runId: 'r1', values: [undefined] });
    assert.deepEqual(z, { runId: 'r1', values: [{ p: [3] }, { p: [1] }] });
  });

  test('different sets are read separately; a later turn is a new read', async () => {
    const { read, calls } = recordingRead({ s: { runId: 'r1', values: { a: 1 } }, t: { runId: 'r9', values: { a: 9 } } });
    const merged = mergeLookups(read);
    const [x, y] = await Promise.all([merged('s', ['a']), merged('t', ['a'])]);
    assert.deepEqual([x.runId, x.values, y.runId, y.values], ['r1', [{ p: [1] }], 'r9', [{ p: [9] }]]);
    await merged('s', ['a']);
    assert.deepEqual(calls.map((c) => c.set), ['s', 't', 's']);
  });

  test('a read never carries more than maxKeys keys; a larger lookup is read alone', async () => {
    const { read, calls } = recordingRead({ s: { runId: 'r1', values: { a: 1 } } });
    const merged = mergeLookups(read, 4);
    await Promise.all([merged('s', ['a', 'a', 'a']), merged('s', ['a', 'a']), merged('s', ['a', 'a', 'a', 'a', 'a'])]);
    assert.deepEqual(calls.map((c) => c.keys.length).sort(), [2, 3, 5]);
  });

  test('a failed read rejects every lookup merged into it with the store error', async () => {
    const { read } = recordingRead({});
    const merged = mergeLookups(read);
    const results = await Promise.allSettled([merged('gone', ['a']), merged('gone', ['b'])]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r.reason as ServingError).code, 'SET_NOT_FOUND');
    }
  });
});
