/**
 * Outcome counts and a latency histogram for one version over one rollout step. Latency buckets
 * are log-spaced (8 per doubling, 25 µs … ~100 s), so p99 is known to within ~9% with fixed
 * memory whatever the traffic.
 */
const MIN_MS = 0.025;
const PER_DOUBLING = 8;
const BUCKETS = 8 * 22;

export class OutcomeWindow {
  requests = 0;
  errors = 0;
  private readonly buckets = new Uint32Array(BUCKETS);

  record(ok: boolean, latencyMs: number): void {
    this.requests++;
    if (!ok) this.errors++;
    const i = latencyMs <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log2(latencyMs / MIN_MS) * PER_DOUBLING));
    this.buckets[i]!++;
  }

  get errorRate(): number {
    return this.requests === 0 ? 0 : this.errors / this.requests;
  }

  /** Upper edge of the bucket holding the q-quantile, in ms; 0 with no requests. */
  quantileMs(q: number): number {
    if (this.requests === 0) return 0;
    const rank = Math.ceil(q * this.requests);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return MIN_MS * 2 ** (i / PER_DOUBLING);
    }
    return MIN_MS * 2 ** ((BUCKETS - 1) / PER_DOUBLING);
  }

  snapshot(): WindowSnapshot {
    return { requests: this.requests, errors: this.errors, errorRate: this.errorRate, p99Ms: this.quantileMs(0.99) };
  }
}

export interface WindowSnapshot {
  requests: number;
  errors: number;
  errorRate: number;
  p99Ms: number;
}
