/**
 * Merges the key lists requested in one synchronous stretch of code (one turn of the microtask
 * queue) into one call of `fetch`, at most maxKeys keys per call, and hands each requester its
 * part. The Redis store uses it so that the lookups an assembly (or a coalesced flush) starts
 * together, one per entity, cost one script call instead of one each: a command costs the client
 * far more than a key costs Redis.
 *
 * Contract: request(keys) with at most maxKeys keys resolves with the replies of the whole call
 * and `at`, the position of its first key in that call; `fetch` must answer `repliesPerKey`
 * replies per key, in key order. A call that fails rejects every request merged into it. Requests
 * that would overflow maxKeys start a new call (the pending one is sent at once).
 */
export interface BatchPart<R> {
  /** Replies of the whole call: repliesPerKey per key, in key order. */
  replies: readonly R[];
  /** Index of the request's first key among the call's keys. */
  at: number;
}

interface Waiter<R> {
  at: number;
  resolve(part: BatchPart<R>): void;
  reject(err: unknown): void;
}

export class KeyBatcher<R> {
  private keys: string[] = [];
  private waiters: Waiter<R>[] = [];
  private scheduled = false;
  private readonly onMicrotask = (): void => {
    this.scheduled = false;
    this.send();
  };

  constructor(private readonly maxKeys: number, private readonly fetch: (keys: string[]) => Promise<readonly R[]>) {}

  request(keys: readonly string[]): Promise<BatchPart<R>> {
    if (keys.length === 0 || keys.length > this.maxKeys) throw new Error(`a key batch request holds 1 to ${this.maxKeys} keys, got ${keys.length}`);
    if (this.keys.length + keys.length > this.maxKeys) this.send();
    return new Promise<BatchPart<R>>((resolve, reject) => {
      const at = this.keys.length;
      for (let i = 0; i < keys.length; i++) this.keys.push(keys[i]!);
      this.waiters.push({ at, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.onMicrotask);
      }
    });
  }

  private send(): void {
    const { keys, waiters } = this;
    if (waiters.length === 0) return;
    this.keys = [];
    this.waiters = [];
    let fetched: Promise<readonly R[]>;
    try {
      fetched = this.fetch(keys);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    fetched.then((replies) => {
      for (const w of waiters) w.resolve({ replies, at: w.at });
    }, (err: unknown) => {
      for (const w of waiters) w.reject(err);
    });
  }
}
