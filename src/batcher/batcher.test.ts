import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../util/index.js';
import { ServingError } from '../errors/index.js';
import { createBatcher } from './index.js';
import type { BatchItem, BatchOptions, BatchResult, BatcherHooks } from './index.js';

interface Call {
  inputs: string[];
  items: BatchItem<string, string>[];
  resolve(result: BatchResult<string>): void;
  reject(err: unknown): void;
}

interface Outcome {
  state: 'pending' | 'resolved' | 'rejected';
  value?: string;
  error?: unknown;
}

/** Lets settled promises run their callbacks; not a sleep, nothing depends on wall time. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(promise: Promise<string>): Outcome {
  const outcome: Outcome = { state: 'pending' };
  promise.then(
    (value) => Object.assign(outcome, { state: 'resolved', value }),
    (error: unknown) => Object.assign(outcome, { state: 'rejected', error }),
  );
  return outcome;
}

function codeOf(outcome: Outcome): string | undefined {
  return outcome.error instanceof ServingError ? outcome.error.code : undefined;
}

function setup(options: Partial<BatchOptions> = {}, hooks?: BatcherHooks) {
  const clock = new ManualClock(1000);
  const calls: Call[] = [];
  const batcher = createBatcher<string, string>(
    { maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 100, instances: 1, ...options },
    (items) =>
      new Promise((resolve, reject) => {
        calls.push({ inputs: items.map((i) => i.input), items, resolve, reject });
      }),
    clock,
    hooks,
  );
  const submit = (input: string, extra: { rows?: number; batchKey?: string; deadlineMs?: number } = {}) =>
    track(batcher.submit({ input, rows: extra.rows ?? 1, batchKey: extra.batchKey ?? 'k', deadlineMs: extra.deadlineMs }));
  return { clock, calls, batcher, submit };
}

function answer(call: Call | undefined): void {
  assert.ok(call, 'expected a batch to have been executed');
  call.resolve({ outputs: call.items.map((i) => `out:${i.input}`) });
}

describe('createBatcher', () => {
  test('a single submit on an idle batcher executes before submit returns', () => {
    const { calls, submit } = setup({ maxQueueDelayMs: 50, preferredBatchSizes: [4] });
    submit('a');
    assert.deepEqual(calls.map((c) => c.inputs), [['a']]);
  });

  test('items queued while the instance is busy form one batch and each caller gets its own output', async () => {
    const { calls, submit } = setup();
    const a = submit('a');
    const rest = ['b', 'c', 'd'].map((x) => submit(x));
    assert.equal(calls.length, 1);
    answer(calls[0]);
    await flush();
    assert.equal(a.value, 'out:a');
    assert.deepEqual(calls[1]?.inputs, ['b', 'c', 'd']);
    answer(calls[1]);
    await flush();
    assert.deepEqual(rest.map((o) => o.value), ['out:b', 'out:c', 'out:d']);
  });

  test('a batch holds exactly maxBatchSize rows and the next row spills into the following batch', async () => {
    const { calls, submit } = setup({ maxBatchSize: 4 });
    submit('busy');
    ['a', 'b', 'c', 'd', 'e'].forEach((x) => submit(x));
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['a', 'b', 'c', 'd']);
    answer(calls[1]);
    await flush();
    assert.deepEqual(calls[2]?.inputs, ['e']);
  });

  test('counts rows, not items, against maxBatchSize', async () => {
    const { calls, submit } = setup({ maxBatchSize: 4 });
    submit('busy');
    submit('three', { rows: 3 });
    submit('one', { rows: 1 });
    submit('two', { rows: 2 });
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['three', 'one']);
    answer(calls[1]);
    await flush();
    assert.deepEqual(calls[2]?.inputs, ['two']);
  });

  test('a compatible item that would overflow maxBatchSize waits for the next batch, keeping FIFO order', async () => {
    const { calls, submit } = setup({ maxBatchSize: 4 });
    submit('busy');
    submit('three', { rows: 3 });
    submit('two', { rows: 2 });
    submit('one', { rows: 1 });
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['three']);
    answer(calls[1]);
    await flush();
    assert.deepEqual(calls[2]?.inputs, ['two', 'one']);
  });

  test('with maxBatchSize 0 every item runs alone', async () => {
    const { calls, submit } = setup({ maxBatchSize: 0 });
    submit('a');
    submit('b');
    submit('c');
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['b']);
  });

  test('items with different batchKey never share a batch', async () => {
    const { calls, submit } = setup();
    submit('busy');
    submit('x1', { batchKey: 'x' });
    submit('y1', { batchKey: 'y' });
    submit('x2', { batchKey: 'x' });
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['x1', 'x2']);
    answer(calls[1]);
    await flush();
    assert.deepEqual(calls[2]?.inputs, ['y1']);
  });

  test('with instances=2 two batches run at once and a third waits', () => {
    const { calls, batcher, submit } = setup({ instances: 2, maxBatchSize: 1 });
    submit('a');
    submit('b');
    submit('c');
    assert.deepEqual(calls.map((c) => c.inputs), [['a'], ['b']]);
    assert.deepEqual(batcher.stats(), { queued: 1, running: 2 });
  });

  test('with maxQueueSize 8 and one running, 10 more arrivals give exactly 2 QUEUE_FULL and 8 successes', async () => {
    const rejects: string[] = [];
    const { calls, submit } = setup({ maxQueueSize: 8, maxBatchSize: 4 }, { onReject: (code) => rejects.push(code) });
    const running = submit('slow');
    const more = Array.from({ length: 10 }, (_, i) => submit(`r${i}`));
    await flush();
    assert.deepEqual(more.slice(8).map(codeOf), ['QUEUE_FULL', 'QUEUE_FULL']);
    assert.deepEqual(rejects, ['QUEUE_FULL', 'QUEUE_FULL']);
    answer(calls[0]);
    await flush();
    answer(calls[1]);
    await flush();
    answer(calls[2]);
    await flush();
    assert.equal(running.state, 'resolved');
    assert.deepEqual(more.slice(0, 8).map((o) => o.state), Array(8).fill('resolved'));
  });

  test('an item whose deadline passes while queued is rejected at that time and never executed', async () => {
    const { clock, calls, batcher, submit } = setup();
    submit('busy');
    const late = submit('late', { deadlineMs: 1100 });
    const fine = submit('fine');
    clock.advance(99);
    await flush();
    assert.equal(late.state, 'pending');
    clock.advance(1);
    await flush();
    assert.equal(codeOf(late), 'DEADLINE_EXCEEDED');
    assert.deepEqual(batcher.stats(), { queued: 1, running: 1 });
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['fine']);
    answer(calls[1]);
    await flush();
    assert.equal(fine.value, 'out:fine');
    assert.ok(calls.every((c) => !c.inputs.includes('late')));
  });

  test('an item that is dispatched before its deadline keeps no deadline timer and is answered normally', async () => {
    const { clock, calls, submit } = setup();
    const item = submit('a', { deadlineMs: 1100 });
    assert.equal(clock.pendingTimers(), 0);
    clock.advance(200);
    answer(calls[0]);
    await flush();
    assert.equal(item.value, 'out:a');
  });

  test('an item submitted after its deadline is rejected with DEADLINE_EXCEEDED at once', async () => {
    const { calls, submit } = setup();
    const late = submit('late', { deadlineMs: 1000 });
    await flush();
    assert.equal(codeOf(late), 'DEADLINE_EXCEEDED');
    assert.equal(calls.length, 0);
  });

  test('with maxQueueDelayMs it waits for a preferred size, then dispatches what it has at the delay', async () => {
    const { clock, calls, submit } = setup({ maxQueueDelayMs: 10, preferredBatchSizes: [4] });
    submit('busy');
    submit('a');
    submit('b');
    answer(calls[0]);
    await flush();
    assert.equal(calls.length, 1, 'two rows are not a preferred size, so it waits');
    clock.advance(9);
    assert.equal(calls.length, 1);
    clock.advance(1);
    assert.deepEqual(calls[1]?.inputs, ['a', 'b']);
  });

  test('a preferred size that fills dispatches before the delay', async () => {
    const { calls, submit } = setup({ maxQueueDelayMs: 10, preferredBatchSizes: [4] });
    submit('busy');
    submit('a');
    submit('b');
    answer(calls[0]);
    await flush();
    submit('c');
    assert.equal(calls.length, 1);
    submit('d');
    assert.deepEqual(calls[1]?.inputs, ['a', 'b', 'c', 'd']);
  });

  test('takes the largest preferred size the queue allows', async () => {
    const { calls, submit } = setup({ preferredBatchSizes: [2, 4] });
    submit('busy');
    ['a', 'b', 'c', 'd', 'e'].forEach((x) => submit(x));
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['a', 'b', 'c', 'd']);
  });

  test('a lone queued item never waits for the delay when an instance is free', async () => {
    const { calls, submit } = setup({ maxQueueDelayMs: 10, preferredBatchSizes: [4] });
    submit('busy');
    submit('a');
    answer(calls[0]);
    await flush();
    assert.deepEqual(calls[1]?.inputs, ['a']);
  });

  test('execute rejecting fails only that batch and the next batch still runs', async () => {
    const { calls, submit } = setup({ maxBatchSize: 2 });
    submit('busy');
    const failing = [submit('a'), submit('b')];
    const next = submit('c');
    answer(calls[0]);
    await flush();
    calls[1]?.reject(new Error('session crashed'));
    await flush();
    assert.deepEqual(failing.map(codeOf), ['INFERENCE_FAILED', 'INFERENCE_FAILED']);
    const error = failing[0]?.error as ServingError;
    assert.equal(error.message, 'model execution failed');
    assert.equal((error.detail?.['cause'] as Error).message, 'session crashed');
    assert.deepEqual(calls[2]?.inputs, ['c']);
    answer(calls[2]);
    await flush();
    assert.equal(next.value, 'out:c');
  });

  test('a synchronous throw from execute fails that batch like a rejection', async () => {
    const clock = new ManualClock();
    const batcher = createBatcher<string, string>(
      { maxBatchSize: 4, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 4, instances: 1 },
      () => {
        throw new ServingError('MODEL_NOT_READY', 'the model is unloading');
      },
      clock,
    );
    const outcome = track(batcher.submit({ input: 'a', rows: 1, batchKey: 'k' }));
    await flush();
    assert.equal(codeOf(outcome), 'MODEL_NOT_READY');
    assert.deepEqual(batcher.stats(), { queued: 0, running: 0 });
  });

  test('an Error entry in the outputs fails only that item', async () => {
    const { calls, submit } = setup();
    submit('busy');
    const [a, b] = [submit('a'), submit('b')];
    answer(calls[0]);
    await flush();
    calls[1]?.resolve({ outputs: [new Error('bad row'), 'out:b'] });
    await flush();
    assert.equal(codeOf(a), 'INFERENCE_FAILED');
    assert.equal(b.value, 'out:b');
  });

  test('close drains queued and running items, then resolves; new submits get SHUTTING_DOWN', async () => {
    const { calls, batcher, submit } = setup({ maxBatchSize: 4, maxQueueDelayMs: 10, preferredBatchSizes: [4] });
    const items = [submit('a'), submit('b'), submit('c')];
    let closed = false;
    const closing = batcher.close();
    void closing.then(() => {
      closed = true;
    });
    assert.equal(batcher.close(), closing);
    const rejected = submit('late');
    await flush();
    assert.equal(codeOf(rejected), 'SHUTTING_DOWN');
    answer(calls[0]);
    await flush();
    assert.equal(closed, false);
    // Closing stops the wait for a preferred size: no more items can arrive.
    assert.deepEqual(calls[1]?.inputs, ['b', 'c']);
    answer(calls[1]);
    await flush();
    assert.equal(closed, true);
    assert.deepEqual(items.map((o) => o.value), ['out:a', 'out:b', 'out:c']);
  });

  test('close on an idle batcher resolves at once', async () => {
    const { batcher } = setup();
    await batcher.close();
    assert.deepEqual(batcher.stats(), { queued: 0, running: 0 });
  });

  test('reports every dispatched batch and its rows to onBatch', async () => {
    const batches: number[] = [];
    const { calls, submit } = setup({}, { onBatch: (items, rows) => batches.push(items.length * 100 + rows) });
    submit('busy');
    submit('a', { rows: 2 });
    submit('b', { rows: 3 });
    answer(calls[0]);
    await flush();
    assert.deepEqual(batches, [101, 205]);
  });
});

describe('coalesce: io-phase', () => {
  test('items submitted in the same turn run as one batch once the scheduled pump fires', async () => {
    const clock = new ManualClock();
    const scheduled: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>(
      { maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 16, instances: 1, coalesce: 'io-phase' },
      async (items) => {
        batches.push(items.map((i) => i.input));
        return { outputs: items.map((i) => i.input * 2) };
      },
      clock,
      { schedule: (fn) => scheduled.push(fn) },
    );
    const replies = [1, 2, 3].map((n) => batcher.submit({ input: n, rows: 1, batchKey: 'k' }));
    assert.equal(batches.length, 0, 'nothing runs before the end of the turn');
    assert.equal(scheduled.length, 1, 'one pump is scheduled for the whole turn');
    scheduled.shift()!();
    assert.deepEqual(batches, [[1, 2, 3]]);
    assert.deepEqual(await Promise.all(replies), [2, 4, 6]);
  });
});

describe('coalesce: io-phase and the queue bound', () => {
  test('a full turn of submits on an idle instance is not refused: the turn is dispatched before the bound is checked', async () => {
    const clock = new ManualClock();
    const scheduled: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>(
      { maxBatchSize: 4, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 2, instances: 1, coalesce: 'io-phase' },
      async (items) => {
        batches.push(items.map((i) => i.input));
        return { outputs: items.map((i) => i.input) };
      },
      clock,
      { schedule: (fn) => scheduled.push(fn) },
    );
    // Two fill the queue while the pump is pending; the third finds the instance idle, so the
    // pending two are dispatched and the third queues instead of getting QUEUE_FULL.
    const replies = [1, 2, 3].map((n) => batcher.submit({ input: n, rows: 1, batchKey: 'k' }));
    assert.deepEqual(batches, [[1, 2]]);
    scheduled.forEach((fn) => fn());
    assert.deepEqual(await Promise.all(replies), [1, 2, 3]);
  });
});
