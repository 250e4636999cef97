import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics for the serving core. Names follow Triton where one exists (nv_*, so existing
 * dashboards work) and add Prometheus-native histograms in seconds (skein_*). Labels: model, version.
 * The four golden signals read from here alone: latency (skein_request_duration_seconds), traffic
 * (nv_inference_request_success + failure), errors (nv_inference_request_failure by reason,
 * skein_requests_total by code), saturation (queue depth, in-flight, skein_queue_duration_seconds).
 */
type Child<T extends { labels: (...args: string[]) => unknown }> = ReturnType<T['labels']>;

/** A counter series kept by Skein and handed to prom-client when metrics are read. */
export interface LocalCounter {
  inc(by?: number): void;
}

/** A gauge series kept by Skein and handed to prom-client when metrics are read. */
export interface LocalGauge {
  inc(): void;
  dec(): void;
  set(value: number): void;
}

export interface VersionMetrics {
  success: LocalCounter;
  inflight: LocalGauge;
  requestSeconds: Child<Histogram<string>>;
  requestUs: LocalCounter;
  queueSeconds: Child<Histogram<string>>;
  queueUs: LocalCounter;
  pending: LocalGauge;
  execCount: LocalCounter;
  inferenceCount: LocalCounter;
  batchSize: Child<Histogram<string>>;
  computeSeconds: Child<Histogram<string>>;
  computeInferUs: LocalCounter;
  /** Executions that ran on the main thread's inline session instead of a worker. */
  inlineExecs: LocalCounter;
  ok: LocalCounter;
  failed(code: string, reason: string): void;
  /**
   * Drops every series of this version once it is unloaded, so a server that swaps versions for
   * months does not keep one series set per version it ever served (Triton drops an unloaded
   * model's series too). The state gauge and load failures stay.
   */
  forget(): void;
}

/**
 * The value of one series between two reads. prom-client looks its series up by hashing the label
 * values on every update (about half a microsecond, ten updates per request); a plain number
 * costs nothing, and the metric's collect hook moves it into prom-client when /metrics is read.
 */
class LocalValue implements LocalCounter, LocalGauge {
  value = 0;
  /** The part of a counter's value already added to prom-client. */
  flushed = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
  inc(by = 1): void {
    this.value += by;
  }
  dec(): void {
    this.value--;
  }
  set(value: number): void {
    this.value = value;
  }
}

/** Series of one metric kept as LocalValues; `flush` runs in the metric's collect hook. */
class LocalSeries {
  private readonly values = new Set<LocalValue>();

  add(labels: Record<string, string>): LocalValue {
    const v = new LocalValue(labels);
    this.values.add(v);
    return v;
  }

  delete(v: LocalValue): void {
    this.values.delete(v);
  }

  flushCounter(counter: Counter<string>): void {
    for (const v of this.values) {
      const delta = v.value - v.flushed;
      if (delta === 0) continue;
      counter.inc(v.labels, delta);
      v.flushed = v.value;
    }
  }

  flushGauge(gauge: Gauge<string>): void {
    for (const v of this.values) gauge.set(v.labels, v.value);
  }
}

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly mv = ['model', 'version'] as const;

  readonly success = localCounter({ name: 'nv_inference_request_success', help: 'Successful inference requests (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly failure = new Counter({ name: 'nv_inference_request_failure', help: 'Failed inference requests by reason: REJECTED (queue full or timed out), BACKEND (runtime error), OTHER (bad input) (Triton name).', labelNames: [...this.mv, 'reason'], registers: [this.registry] });
  readonly inferenceCount = localCounter({ name: 'nv_inference_count', help: 'Rows (batch elements) executed (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly execCount = localCounter({ name: 'nv_inference_exec_count', help: 'Model executions; inference_count / exec_count is the mean batch size (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly pending = localGauge({ name: 'nv_inference_pending_request_count', help: 'Requests waiting in the queue (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly requestUs = localCounter({ name: 'nv_inference_request_duration_us', help: 'Cumulative end-to-end request time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly queueUs = localCounter({ name: 'nv_inference_queue_duration_us', help: 'Cumulative queue time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly computeInferUs = localCounter({ name: 'nv_inference_compute_infer_duration_us', help: 'Cumulative model run time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });

  readonly inlineExecs = localCounter({ name: 'skein_inline_executions_total', help: 'Executions run on the main thread (runtime.inlineMaxUs) instead of a worker thread; the rest of nv_inference_exec_count ran on workers.', labelNames: this.mv, registers: [this.registry] });
  readonly requests = localCounter({ name: 'skein_requests_total', help: 'Inference requests by outcome code (OK or an error code).', labelNames: [...this.mv, 'code'], registers: [this.registry] });
  readonly requestSeconds = new Histogram({ name: 'skein_request_duration_seconds', help: 'End-to-end inference time in the core, in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly queueSeconds = new Histogram({ name: 'skein_queue_duration_seconds', help: 'Time from enqueue to dispatch, in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly computeSeconds = new Histogram({ name: 'skein_compute_duration_seconds', help: 'Time of one batch execution in the runtime (input, infer, output), in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly batchSize = new Histogram({ name: 'skein_batch_size', help: 'Rows per executed batch.', labelNames: this.mv, buckets: BATCH_BUCKETS, registers: [this.registry] });
  readonly inflight = localGauge({ name: 'skein_inflight_requests', help: 'Requests accepted by the core and not yet answered (queued + running).', labelNames: this.mv, registers: [this.registry] });
  readonly versionState = new Gauge({ name: 'skein_model_version_state', help: '1 for the state a version is in (loading, ready, unloading, failed).', labelNames: [...this.mv, 'state'], registers: [this.registry] });
  readonly loadFailures = new Counter({ name: 'skein_model_load_failures_total', help: 'Versions that failed to load or warm up.', labelNames: this.mv, registers: [this.registry] });
  readonly loadSeconds = new Histogram({ name: 'skein_model_load_duration_seconds', help: 'Time to load and warm up a version.', labelNames: this.mv, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60], registers: [this.registry] });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The hot-path series of one version, bound once: counters and gauges as LocalValues, histograms
   * as prom-client children (an observation touches several buckets, so a child is the cheap form).
   */
  forVersion(model: string, version: string): VersionMetrics {
    const v = [model, version] as const;
    const labels = { model, version };
    const seen = new Set<string>();
    const locals: [LocalSeries, LocalValue][] = [];
    const local = (metric: Counter<string> | Gauge<string>, own: Record<string, string> = labels): LocalValue => {
      const series = seriesOf.get(metric)!;
      const value = series.add(own);
      locals.push([series, value]);
      return value;
    };
    const bound = [this.success, this.inferenceCount, this.execCount, this.pending, this.requestUs, this.queueUs,
      this.computeInferUs, this.inlineExecs, this.requestSeconds, this.queueSeconds, this.computeSeconds, this.batchSize, this.inflight];
    return {
      success: local(this.success),
      inflight: local(this.inflight),
      requestSeconds: this.requestSeconds.labels(...v),
      requestUs: local(this.requestUs),
      queueSeconds: this.queueSeconds.labels(...v),
      queueUs: local(this.queueUs),
      pending: local(this.pending),
      execCount: local(this.execCount),
      inferenceCount: local(this.inferenceCount),
      batchSize: this.batchSize.labels(...v),
      computeSeconds: this.computeSeconds.labels(...v),
      computeInferUs: local(this.computeInferUs),
      inlineExecs: local(this.inlineExecs),
      ok: local(this.requests, { model, version, code: 'OK' }),
      failed: (code: string, reason: string) => {
        this.requests.labels(model, version, code).inc();
        this.failure.labels(model, version, reason).inc();
        seen.add(`${code}\u0000${reason}`);
      },
      forget: () => {
        for (const [series, value] of locals) series.delete(value);
        for (const m of bound) m.remove(...v);
        this.requests.remove(model, version, 'OK');
        for (const key of seen) {
          const [code, reason] = key.split('\u0000') as [string, string];
          this.requests.remove(model, version, code);
          this.failure.remove(model, version, reason);
        }
      },
    };
  }

  /** Sets the state gauge; `unloaded` removes the version's lifecycle series altogether. */
  setVersionState(model: string, version: string, state: string): void {
    const states = ['loading', 'ready', 'unloading', 'failed'];
    if (state === 'unloaded') {
      for (const s of states) this.versionState.remove({ model, version, state: s });
      this.loadSeconds.remove({ model, version });
      return;
    }
    for (const s of states) this.versionState.set({ model, version, state: s }, s === state ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

type MetricConfig = { name: string; help: string; labelNames: readonly string[]; registers: Registry[] };

/** The LocalSeries behind each metric made by localCounter or localGauge. */
const seriesOf = new WeakMap<Counter<string> | Gauge<string>, LocalSeries>();

/** Makes a metric whose collect hook flushes a LocalSeries, and records that series for it. */
function withSeries<M extends Counter<string> | Gauge<string>>(make: (series: LocalSeries) => M): M {
  const series = new LocalSeries();
  const metric = make(series);
  seriesOf.set(metric, series);
  return metric;
}

function localCounter(config: MetricConfig): Counter<string> {
  return withSeries((series) => new Counter({ ...config, collect() { series.flushCounter(this); } }));
}

function localGauge(config: MetricConfig): Gauge<string> {
  return withSeries((series) => new Gauge({ ...config, collect() { series.flushGauge(this); } }));
}
