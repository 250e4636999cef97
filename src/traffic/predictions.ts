import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../util/index.js';
import type { TrafficMetrics } from './metrics.js';
import type { PredictionRecord, TrafficStateStore } from './state/types.js';

export interface RecorderLimits {
  /** Records waiting to be written at most; beyond it new ones are dropped and counted. */
  maxPending: number;
  /** Records per write. */
  maxBatch: number;
  /** Longest a record waits before it is written. */
  flushIntervalMs: number;
}

export const DEFAULT_RECORDER_LIMITS: RecorderLimits = { maxPending: 50_000, maxBatch: 500, flushIntervalMs: 25 };

/**
 * Writes prediction records in batches off the request path: a reply never waits for the store.
 * Feedback for a prediction still in the buffer finds it here, so a fast client cannot race the
 * write. A store that is down costs the records (counted), never a request.
 */
export class PredictionRecorder {
  private pending = new Map<string, PredictionRecord>();
  private timer: TimerHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastErrorLogMs = -Infinity;

  constructor(
    private readonly store: TrafficStateStore,
    private readonly clock: Clock,
    private readonly metrics: TrafficMetrics,
    private readonly logger: Logger,
    private readonly limits: RecorderLimits = DEFAULT_RECORDER_LIMITS,
  ) {}

  record(r: PredictionRecord): void {
    if (this.pending.size >= this.limits.maxPending) {
      this.metrics.predictionsDropped.inc({ reason: 'buffer_full' });
      return;
    }
    this.pending.set(r.id, r);
    if (this.pending.size >= this.limits.maxBatch) void this.flush();
    else this.timer ??= this.clock.setTimeout(() => void this.flush(), this.limits.flushIntervalMs);
  }

  /** The record if it is still buffered. */
  buffered(id: string): PredictionRecord | undefined {
    return this.pending.get(id);
  }

  /** Writes everything buffered; resolves once it is in the store (or dropped on failure). */
  flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.size === 0) return this.writing;
    const all = [...this.pending.values()];
    this.pending = new Map();
    const write = async () => {
      for (let i = 0; i < all.length; i += this.limits.maxBatch) {
        const chunk = all.slice(i, i + this.limits.maxBatch);
        try {
          await this.store.recordPredictions(chunk);
        } catch (err) {
          this.metrics.predictionsDropped.inc({ reason: 'store_error' }, chunk.length);
          const now = this.clock.now();
          if (now - this.lastErrorLogMs > 10_000) {
            this.lastErrorLogMs = now;
            this.logger.warn({ err: String(err), dropped: chunk.length }, 'prediction records could not be written; feedback for them will be rejected');
          }
        }
      }
    };
    this.writing = this.writing.then(write);
    return this.writing;
  }
}
