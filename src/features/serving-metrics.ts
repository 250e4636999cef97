import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeatureSkew, SkewReport } from '../monitoring/index.js';

/**
 * Metrics of raw-field serving:
 *   skein_raw_requests_total{model,version,outcome}    raw requests by outcome: `ok` or the error
 *                                                      code; only for models the repository holds
 *   skein_feature_psi{model,version,feature}           PSI of the feature in the version's skew
 *                                                      report (absent while not compared)
 *   skein_feature_skew_flagged{model,version,feature}  1 when the feature is flagged, else 0
 * The two gauges are computed on scrape from each served version's skew monitor (collect()),
 * through the version's memoized report, so a scrape costs at most one report per version per
 * memo interval, and versions no longer served leave /metrics.
 * Registered once per registry; every FeatureServing on it adds a source of reports.
 */
export interface SkewSource {
  model: string;
  version: string;
  /** undefined when the version has no monitor (no training statistics). */
  report(): SkewReport | undefined;
}

export interface ServingMetricsHandle {
  rawRequests: Counter<'model' | 'version' | 'outcome'>;
  /** Stops asking this source on scrapes (FeatureServing.close). */
  unregister(): void;
}

interface Holder {
  rawRequests: Counter<'model' | 'version' | 'outcome'>;
  sources: Set<() => Iterable<SkewSource>>;
}

const made = new WeakMap<Registry, Holder>();

function reportsOf(holder: Holder): { source: SkewSource; report: SkewReport }[] {
  const out: { source: SkewSource; report: SkewReport }[] = [];
  for (const list of holder.sources) {
    for (const source of list()) {
      const report = source.report();
      if (report !== undefined) out.push({ source, report });
    }
  }
  return out;
}

function createHolder(registry: Registry): Holder {
  const holder: Holder = {
    rawRequests: new Counter({
      name: 'skein_raw_requests_total',
      help: 'Raw-field requests (POST .../infer-raw) by outcome: ok, or the error code.',
      labelNames: ['model', 'version', 'outcome'],
      registers: [registry],
    }),
    sources: new Set(),
  };
  // Both gauges read the same memoized reports; collect() runs once per gauge per scrape.
  const perFeature = (name: string, help: string, value: (f: FeatureSkew) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['model', 'version', 'feature'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { source, report } of reportsOf(holder)) {
          for (const [feature, f] of Object.entries(report.features)) {
            const v = value(f);
            if (v !== null) this.set({ model: source.model, version: source.version, feature }, v);
          }
        }
      },
    });
  };
  perFeature('skein_feature_psi', 'PSI of a feature between its training statistics and the served vectors (skew report); absent until compared.', (f) => f.psi);
  perFeature('skein_feature_skew_flagged', '1 when the skew report flags the feature (training vs serving), else 0 (also while there is too little data).', (f) => (f.flagged ? 1 : 0));
  return holder;
}

export function registerServingMetrics(registry: Registry, sources: () => Iterable<SkewSource>): ServingMetricsHandle {
  let holder = made.get(registry);
  if (holder === undefined) {
    holder = createHolder(registry);
    made.set(registry, holder);
  }
  const h = holder;
  h.sources.add(sources);
  return { rawRequests: h.rawRequests, unregister: () => void h.sources.delete(sources) };
}
