import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DIFF = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1];

/**
 * Traffic metrics. Label sets are small and bounded by the traffic config (experiment and arm
 * names, rollout models, cascade stages, fallback steps, feedback types).
 */
export class TrafficMetrics {
  readonly exposures: Counter<'experiment' | 'arm'>;
  readonly unassigned: Counter<'experiment'>;
  readonly rolloutPercent: Gauge<'model'>;
  readonly rolloutStep: Gauge<'model'>;
  readonly rolloutStatus: Gauge<'model' | 'status'>;
  readonly rolloutRequests: Counter<'model' | 'track' | 'outcome'>;
  readonly rollbacks: Counter<'model'>;
  readonly shadow: Counter<'model' | 'version' | 'outcome'>;
  readonly shadowDiff: Histogram<'model' | 'version'>;
  readonly cascade: Counter<'cascade' | 'stage' | 'outcome'>;
  readonly cascadeSeconds: Histogram<'cascade' | 'stage'>;
  readonly fallbacks: Counter<'model' | 'reason' | 'step'>;
  readonly breakerOpen: Gauge<'model' | 'version'>;
  readonly feedback: Counter<'model' | 'version' | 'experiment' | 'arm' | 'type' | 'outcome'>;
  readonly feedbackValue: Counter<'model' | 'version' | 'experiment' | 'arm' | 'type'>;
  readonly predictionsDropped: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.exposures = new Counter({ name: 'skein_experiment_exposures_total', help: 'Predictions served under an experiment, by arm.', labelNames: ['experiment', 'arm'], registers });
    this.unassigned = new Counter({ name: 'skein_experiment_unassigned_total', help: 'Requests to an experiment model with no unit id (served by control, not counted as exposures).', labelNames: ['experiment'], registers });
    this.rolloutPercent = new Gauge({ name: 'skein_rollout_canary_percent', help: 'Canary share of traffic now, in percent.', labelNames: ['model'], registers });
    this.rolloutStep = new Gauge({ name: 'skein_rollout_step', help: 'Index of the rollout step now (-1 before the first).', labelNames: ['model'], registers });
    this.rolloutStatus = new Gauge({ name: 'skein_rollout_status', help: '1 for the state a rollout is in (pending, ramping, paused, rolled_back, completed).', labelNames: ['model', 'status'], registers });
    this.rolloutRequests = new Counter({ name: 'skein_rollout_requests_total', help: 'Requests per rollout track (canary, stable) and outcome (ok, error, retried_on_stable).', labelNames: ['model', 'track', 'outcome'], registers });
    this.rollbacks = new Counter({ name: 'skein_rollout_rollbacks_total', help: 'Automatic and commanded rollbacks.', labelNames: ['model'], registers });
    this.shadow = new Counter({ name: 'skein_shadow_requests_total', help: 'Mirrored requests by outcome: match, mismatch, error, dropped (maxInflight reached).', labelNames: ['model', 'version', 'outcome'], registers });
    this.shadowDiff = new Histogram({ name: 'skein_shadow_max_abs_diff', help: 'Largest absolute difference between shadow and primary outputs per mirrored request.', labelNames: ['model', 'version'], buckets: DIFF, registers });
    this.cascade = new Counter({ name: 'skein_cascade_requests_total', help: 'Cascade requests per stage: answered there, or escalated to the next stage.', labelNames: ['cascade', 'stage', 'outcome'], registers });
    this.cascadeSeconds = new Histogram({ name: 'skein_cascade_stage_seconds', help: 'Time spent in each cascade stage, in seconds.', labelNames: ['cascade', 'stage'], buckets: SECONDS, registers });
    this.fallbacks = new Counter({ name: 'skein_fallbacks_total', help: 'Requests answered by a fallback, by the error that triggered it and the step that answered.', labelNames: ['model', 'reason', 'step'], registers });
    this.breakerOpen = new Gauge({ name: 'skein_circuit_open', help: '1 while a version\'s circuit breaker is open.', labelNames: ['model', 'version'], registers });
    this.feedback = new Counter({ name: 'skein_feedback_events_total', help: 'Feedback events by the version and arm of their prediction, type and outcome (counted, duplicate).', labelNames: ['model', 'version', 'experiment', 'arm', 'type', 'outcome'], registers });
    this.feedbackValue = new Counter({ name: 'skein_feedback_value_total', help: 'Sum of feedback event values (for example purchase amounts) by version and arm.', labelNames: ['model', 'version', 'experiment', 'arm', 'type'], registers });
    this.predictionsDropped = new Counter({ name: 'skein_predictions_unrecorded_total', help: 'Prediction ids that could not be recorded for feedback (buffer full, store down).', labelNames: ['reason'], registers });
  }
}
