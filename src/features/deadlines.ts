import type { Clock, TimerHandle } from '../util/index.js';

/**
 * Timeouts for many concurrent operations that share one timeout (the assembler's store
 * lookups), without a timer per operation. Deadlines are start time + timeoutMs, so they come in
 * start order: operations in flight wait in a FIFO queue, and one clock timer, armed for the
 * oldest one's deadline, expires every operation whose deadline has come when it fires. Under
 * load that is one timer per timeoutMs instead of one per operation. While nothing is in flight
 * no timer is armed, so an idle process can exit.
 *
 * Contract: add(op) arms op's deadline; settle(op) once it finished. op.expire() is called at most
 * once, on the clock's timer, timeoutMs or more after add(), and only if settle(op) was not called
 * first; settle(op) returns false when op had expired already (it lost the race and its outcome
 * must be dropped). The queue holds an op only while it is in flight (or behind one that is), and
 * an op should drop what it settles once it has, so that a stale reference to it holds nothing.
 * Single-threaded: use from one event loop.
 */
export interface Timed {
  /** Set by add(): the deadline, in clock ms. */
  atMs: number;
  /** Set by add(), cleared by settle() or just before expire(). */
  pending: boolean;
  expire(): void;
}

/** Initial ring capacity; it doubles when more operations are in flight (and never shrinks). */
const INITIAL_CAPACITY = 256;

export class DeadlineQueue {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  /**
   * A ring (capacity a power of two), allocated once and reused rather than pushed to and emptied,
   * and cleared slot by slot: no stale copy of the queue is left holding operations.
   */
  private ring: (Timed | undefined)[] = new Array<Timed | undefined>(INITIAL_CAPACITY).fill(undefined);
  private head = 0;
  private count = 0;
  private timer: TimerHandle | undefined;
  private readonly onTimer = (): void => this.fire();

  constructor(clock: Clock, timeoutMs: number) {
    this.clock = clock;
    this.timeoutMs = timeoutMs;
  }

  /** Operations in flight, plus settled ones behind the oldest in flight (not yet dropped). */
  get size(): number {
    return this.count;
  }

  /** `nowMs`: the clock's time now, when the caller has just read it. */
  add(op: Timed, nowMs = this.clock.now()): void {
    op.atMs = nowMs + this.timeoutMs;
    op.pending = true;
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = op;
    this.count++;
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  settle(op: Timed): boolean {
    if (!op.pending) return false;
    op.pending = false;
    // Settled ops at the head leave now, so a queue of quick operations stays short.
    while (this.count > 0 && !this.ring[this.head]!.pending) this.shift();
    if (this.count === 0) this.disarm();
    return true;
  }

  private shift(): void {
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
  }

  private grow(): void {
    const old = this.ring;
    const ring = new Array<Timed | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    old.fill(undefined);
    this.ring = ring;
    this.head = 0;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimeout(this.onTimer, delayMs);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    let expired: Timed[] | undefined;
    while (this.count > 0) {
      const op = this.ring[this.head]!;
      if (op.pending) {
        if (op.atMs > now) break;
        op.pending = false;
        (expired ??= []).push(op);
      }
      this.shift();
    }
    // A timer may fire a little before its time by this clock; the rest is waited for again.
    if (this.count > 0) this.arm(this.ring[this.head]!.atMs - now);
    // Last, so that a callback that adds or settles finds the queue consistent.
    if (expired !== undefined) for (const op of expired) op.expire();
  }
}
