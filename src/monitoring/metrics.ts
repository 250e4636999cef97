import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics for the serving core. Names follow Triton where one exists (nv_*, so existing
 * dashboards work) and add Prometheus-native histograms in seconds (skein_*). Labels: model, version.
 * The four golden signals read from here alone: latency (skein_request_duration_seconds), traffic
 * (nv_inference_request_success + failure), errors (nv_inference_request_failure by reason,
 * skein_requests_total by code), saturation (queue depth, in-flight, skein_queue_duration_seconds).
 */
type Child<T extends { labels: (...args: string[]) => unknown }> = ReturnType<T['labels']>;

export interface VersionMetrics {
  success: Child<Counter<string>>;
  inflight: Child<Gauge<string>>;
  requestSeconds: Child<Histogram<string>>;
  requestUs: Child<Counter<string>>;
  queueSeconds: Child<Histogram<string>>;
  queueUs: Child<Counter<string>>;
  pending: Child<Gauge<string>>;
  execCount: Child<Counter<string>>;
  inferenceCount: Child<Counter<string>>;
  batchSize: Child<Histogram<string>>;
  computeSeconds: Child<Histogram<string>>;
  computeInferUs: Child<Counter<string>>;
  /** Executions that ran on the main thread's inline session instead of a worker. */
  inlineExecs: Child<Counter<string>>;
  ok: Child<Counter<string>>;
  failed(code: string, reason: string): void;
  /**
   * Drops every series of this version once it is unloaded, so a server that swaps versions for
   * months does not keep one series set per version it ever served (Triton drops an unloaded
   * model's series too). The state gauge and load failures stay.
   */
  forget(): void;
}

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly mv = ['model', 'version'] as const;

  readonly success = new Counter({ name: 'nv_inference_request_success', help: 'Successful inference requests (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly failure = new Counter({ name: 'nv_inference_request_failure', help: 'Failed inference requests by reason: REJECTED (queue full or timed out), BACKEND (runtime error), OTHER (bad input) (Triton name).', labelNames: [...this.mv, 'reason'], registers: [this.registry] });
  readonly inferenceCount = new Counter({ name: 'nv_inference_count', help: 'Rows (batch elements) executed (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly execCount = new Counter({ name: 'nv_inference_exec_count', help: 'Model executions; inference_count / exec_count is the mean batch size (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly pending = new Gauge({ name: 'nv_inference_pending_request_count', help: 'Requests waiting in the queue (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly requestUs = new Counter({ name: 'nv_inference_request_duration_us', help: 'Cumulative end-to-end request time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly queueUs = new Counter({ name: 'nv_inference_queue_duration_us', help: 'Cumulative queue time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });
  readonly computeInferUs = new Counter({ name: 'nv_inference_compute_infer_duration_us', help: 'Cumulative model run time in microseconds (Triton name).', labelNames: this.mv, registers: [this.registry] });

  readonly inlineExecs = new Counter({ name: 'skein_inline_executions_total', help: 'Executions run on the main thread (runtime.inlineMaxUs) instead of a worker thread; the rest of nv_inference_exec_count ran on workers.', labelNames: this.mv, registers: [this.registry] });
  readonly requests = new Counter({ name: 'skein_requests_total', help: 'Inference requests by outcome code (OK or an error code).', labelNames: [...this.mv, 'code'], registers: [this.registry] });
  readonly requestSeconds = new Histogram({ name: 'skein_request_duration_seconds', help: 'End-to-end inference time in the core, in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly queueSeconds = new Histogram({ name: 'skein_queue_duration_seconds', help: 'Time from enqueue to dispatch, in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly computeSeconds = new Histogram({ name: 'skein_compute_duration_seconds', help: 'Time of one batch execution in the runtime (input, infer, output), in seconds.', labelNames: this.mv, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly batchSize = new Histogram({ name: 'skein_batch_size', help: 'Rows per executed batch.', labelNames: this.mv, buckets: BATCH_BUCKETS, registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'skein_inflight_requests', help: 'Requests accepted by the core and not yet answered (queued + running).', labelNames: this.mv, registers: [this.registry] });
  readonly versionState = new Gauge({ name: 'skein_model_version_state', help: '1 for the state a version is in (loading, ready, unloading, failed).', labelNames: [...this.mv, 'state'], registers: [this.registry] });
  readonly loadFailures = new Counter({ name: 'skein_model_load_failures_total', help: 'Versions that failed to load or warm up.', labelNames: this.mv, registers: [this.registry] });
  readonly loadSeconds = new Histogram({ name: 'skein_model_load_duration_seconds', help: 'Time to load and warm up a version.', labelNames: this.mv, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60], registers: [this.registry] });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The hot-path series of one version, bound once: prom-client hashes a labels object on every
   * call, which costs more than the work being measured at thousands of requests per second.
   */
  forVersion(model: string, version: string): VersionMetrics {
    const v = [model, version] as const;
    const seen = new Set<string>();
    const bound = [this.success, this.inferenceCount, this.execCount, this.pending, this.requestUs, this.queueUs,
      this.computeInferUs, this.inlineExecs, this.requestSeconds, this.queueSeconds, this.computeSeconds, this.batchSize, this.inflight];
    return {
      success: this.success.labels(...v),
      inflight: this.inflight.labels(...v),
      requestSeconds: this.requestSeconds.labels(...v),
      requestUs: this.requestUs.labels(...v),
      queueSeconds: this.queueSeconds.labels(...v),
      queueUs: this.queueUs.labels(...v),
      pending: this.pending.labels(...v),
      execCount: this.execCount.labels(...v),
      inferenceCount: this.inferenceCount.labels(...v),
      batchSize: this.batchSize.labels(...v),
      computeSeconds: this.computeSeconds.labels(...v),
      computeInferUs: this.computeInferUs.labels(...v),
      inlineExecs: this.inlineExecs.labels(...v),
      ok: this.requests.labels(model, version, 'OK'),
      failed: (code: string, reason: string) => {
        this.requests.labels(model, version, code).inc();
        this.failure.labels(model, version, reason).inc();
        seen.add(`${code}\u0000${reason}`);
      },
      forget: () => {
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
