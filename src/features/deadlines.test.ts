import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type TimerHandle } from '../util/index.js';
import { DeadlineQueue, type Timed } from './deadlines.js';

/** An operation for the queue, expiring by calling `expire`. */
const op = (expire: () => void): Timed => ({ atMs: 0, pending: false, expire });

/** Adds an operation and returns it. */
function added(queue: DeadlineQueue, expire: () => void): Timed {
  const o = op(expire);
  queue.add(o);
  return o;
}

/** A ManualClock that counts the timers armed and those still pending. */
class CountingClock extends ManualClock {
  armed = 0;
  live = 0;

  override setTimeout(fn: () => void, delayMs: number): TimerHandle {
    this.armed++;
    this.live++;
    let done = false;
    const finish = (): void => {
      if (!done) this.live--;
      done = true;
    };
    const handle = super.setTimeout(() => {
      finish();
      fn();
    }, delayMs);
    return { cancel: () => { finish(); handle.cancel(); } };
  }
}

describe('deadline queue', () => {
  test('expires an operation timeoutMs after it was added, not a millisecond before', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 100);
    const expired: string[] = [];
    const d = added(queue, () => expired.push('a'));
    clock.advance(99);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, ['a']);
    assert.equal(queue.settle(d), false, 'an expired operation lost the race');
    assert.equal(queue.size, 0);
  });

  test('an operation settled in time never expires, and settling twice is refused', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 100);
    let expired = 0;
    const d = added(queue, () => expired++);
    clock.advance(50);
    assert.equal(queue.settle(d), true);
    assert.equal(queue.settle(d), false);
    clock.advance(1000);
    assert.equal(expired, 0);
  });

  test('one timer serves every operation in flight, and none is left armed when all settled', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 100);
    const deadlines = Array.from({ length: 1000 }, () => added(queue, () => assert.fail('settled in time')));
    assert.equal(clock.armed, 1);
    for (const d of deadlines) assert.equal(queue.settle(d), true);
    assert.equal(clock.live, 0, 'an idle queue holds no timer, so a process can exit');
    assert.equal(queue.size, 0);
  });

  test('expires operations in deadline order, each on its own time, skipping settled ones', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 100);
    const expired: string[] = [];
    added(queue, () => expired.push('t0'));
    clock.advance(10);
    const settled = added(queue, () => expired.push('t10'));
    clock.advance(10);
    added(queue, () => expired.push('t20'));
    assert.equal(queue.settle(settled), true);
    clock.advance(80);
    assert.deepEqual(expired, ['t0']);
    clock.advance(19);
    assert.deepEqual(expired, ['t0']);
    clock.advance(1);
    assert.deepEqual(expired, ['t0', 't20']);
    assert.equal(clock.live, 0);
  });

  test('an expiry callback may add and settle operations', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 100);
    const expired: string[] = [];
    added(queue, () => {
      expired.push('first');
      added(queue, () => expired.push('second'));
    });
    clock.advance(100);
    assert.deepEqual(expired, ['first']);
    clock.advance(100);
    assert.deepEqual(expired, ['first', 'second']);
    assert.equal(clock.live, 0);
  });

  test('a long queue of operations settled out of order stays bounded by those in flight', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock, 1000);
    const stuck = added(queue, () => undefined);
    for (let i = 0; i < 5000; i++) queue.settle(added(queue, () => assert.fail('settled in time')));
    // Settled operations behind the oldest one wait for it; once it settles they all leave.
    assert.equal(queue.size, 5001);
    queue.settle(stuck);
    assert.equal(queue.size, 0);
    assert.equal(clock.live, 0);
  });
});
