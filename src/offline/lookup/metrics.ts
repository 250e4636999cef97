import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LATENCY_BUCKETS_S = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Lookup metrics. Series are only made for sets that exist (resolved before counting), so a
 * caller sending random set names cannot grow the label space.
 */
export class LookupMetrics {
  readonly lookups: Counter<'set' | 'result'>;
  readonly duration: Histogram<'set'>;
  private readonly publishedAtMs = new Map<string, number>();

  constructor(registry: Registry, wallClockMs: () => number) {
    const publishedAtMs = this.publishedAtMs;
    this.lookups = reuse(registry, 'skein_prediction_lookups_total', () => new Counter({
      name: 'skein_prediction_lookups_total',
      help: 'Keys looked up in a prediction set: result="hit" (precomputed) or "default" (not precomputed; the miss rate is default / all).',
      labelNames: ['set', 'result'],
      registers: [registry],
    }));
    this.duration = reuse(registry, 'skein_prediction_lookup_duration_seconds', () => new Histogram({
      name: 'skein_prediction_lookup_duration_seconds',
      help: 'Time to answer one lookup request (one or many keys), in seconds.',
      labelNames: ['set'],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }));
    reuse(registry, 'skein_prediction_set_age_seconds', () => new Gauge({
      name: 'skein_prediction_set_age_seconds',
      help: 'Staleness: seconds since the run being served was published.',
      labelNames: ['set'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [set, at] of publishedAtMs) this.set({ set }, Math.max(0, (wallClockMs() - at) / 1000));
      },
    }));
  }

  /** Records which run a set serves, for the staleness gauge. */
  serving(set: string, publishedAt: string | undefined): void {
    const at = publishedAt === undefined ? Number.NaN : Date.parse(publishedAt);
    if (Number.isFinite(at)) this.publishedAtMs.set(set, at);
  }

  observe(set: string, hits: number, defaults: number, seconds: number): void {
    if (hits > 0) this.lookups.inc({ set, result: 'hit' }, hits);
    if (defaults > 0) this.lookups.inc({ set, result: 'default' }, defaults);
    this.duration.observe({ set }, seconds);
  }
}

/** A second service on the same registry (tests, a restart) reuses the metric, not a duplicate. */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
