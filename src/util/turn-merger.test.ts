import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTurnMerger } from './turn-merger.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recording(maxSize: number) {
  const sent: [string, string[]][] = [];
  const merger = createTurnMerger<string[]>({ create: () => [], size: (b) => b.length, send: (g, b) => sent.push([g, b]), maxSize });
  const add = (group: string, items: string[]): void => merger.add(group, items.length, (b) => b.push(...items));
  return { sent, add };
}

describe('turn merger', () => {
  test('one batch per group per turn, sent on the next turn', async () => {
    const { sent, add } = recording(100);
    add('a', ['1']);
    add('b', ['2']);
    add('a', ['3', '4']);
    assert.deepEqual(sent, []);
    await nextTurn();
    assert.deepEqual(sent, [['a', ['1', '3', '4']], ['b', ['2']]]);
    add('a', ['5']);
    await nextTurn();
    assert.deepEqual(sent.at(-1), ['a', ['5']]);
  });

  test('a batch that reaches maxSize goes at once; one that would pass it goes first', async () => {
    const { sent, add } = recording(3);
    add('a', ['1', '2']);
    add('a', ['3']);
    assert.deepEqual(sent, [['a', ['1', '2', '3']]], 'reaching the bound sends without waiting');
    add('a', ['4', '5']);
    add('a', ['6', '7']);
    assert.deepEqual(sent.at(-1), ['a', ['4', '5']], 'the waiting items go before the batch would pass the bound');
    await nextTurn();
    assert.deepEqual(sent.at(-1), ['a', ['6', '7']]);
    assert.equal(sent.length, 3);
  });
});
