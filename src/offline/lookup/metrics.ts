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
  private readonly lastPublishedAt = new Map<string, string>();
  /** Only sets that exist reach observe(), so this is bounded by the store's sets. */
  private readonly bound = new Map<string, { hit: { inc(n: number): void }; def: { inc(n: number): void }; duration: { observe(s: number): void } }>();

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

  /** Records which run a set serves, for the staleness gauge (parsed only when it changes). */
  serving(set: string, publishedAt: string | undefined): void {
    if (publishedAt === undefined || this.lastPublishedAt.get(set) === publishedAt) return;
    const at = Date.parse(publishedAt);
    if (!Number.isFinite(at)) return;
    this.lastPublishedAt.set(set, publishedAt);
    this.publishedAtMs.set(set, at);
  }

  observe(set: string, hits: number, defaults: number, seconds: number): void {
    // Series bound once per set: prom-client hashes a labels object on every call otherwise.
    let c = this.bound.get(set);
    if (!c) {
      c = { hit: this.lookups.labels(set, 'hit'), def: this.lookups.labels(set, 'default'), duration: this.duration.labels(set) };
      this.bound.set(set, c);
    }
    if (hits > 0) c.hit.inc(hits);
    if (defaults > 0) c.def.inc(defaults);
    c.duration.observe(seconds);
  }
}

/** A second service on the same registry (tests, a restart) reuses the metric, not a duplicate. */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
