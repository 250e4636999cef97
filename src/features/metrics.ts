import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Metrics of the feature pipeline:
 *   skein_feature_lookup_seconds{source}                  one histogram per source (the entity
 *                                                         looked up), one observation per batched lookup
 *   skein_feature_missing_total{feature_set,entity}       rows whose entity was absent: no id in
 *                                                         the request, or not (or no longer) in the store
 *   skein_feature_store_errors_total{feature_set}         rows × entities answered by defaults
 *                                                         because the store failed or timed out
 * Created once per registry: a second call with the same registry returns the same series.
 */
export interface FeatureMetrics {
  lookupSeconds: Histogram<'source'>;
  missing: Counter<'feature_set' | 'entity'>;
  storeErrors: Counter<'feature_set'>;
}

const LOOKUP_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const made = new WeakMap<Registry, FeatureMetrics>();

export function createFeatureMetrics(registry: Registry = new Registry()): FeatureMetrics {
  const seen = made.get(registry);
  if (seen) return seen;
  const metrics: FeatureMetrics = {
    lookupSeconds: new Histogram({ name: 'skein_feature_lookup_seconds', help: 'Time of one batched feature-store lookup, by source (entity), in seconds.', labelNames: ['source'], buckets: LOOKUP_BUCKETS_S, registers: [registry] }),
    missing: new Counter({ name: 'skein_feature_missing_total', help: 'Rows whose entity was missing (no id, or not in the store); its features took their defaults.', labelNames: ['feature_set', 'entity'], registers: [registry] }),
    storeErrors: new Counter({ name: 'skein_feature_store_errors_total', help: 'Row lookups answered with defaults because the feature store failed or timed out.', labelNames: ['feature_set'], registers: [registry] }),
  };
  made.set(registry, metrics);
  return metrics;
}
