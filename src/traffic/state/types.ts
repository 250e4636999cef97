/**
 * Traffic state: what must survive a restart and be shared by replicas. Predictions issued under
 * traffic rules (so feedback can be joined to the version, arm and stage that answered), feedback
 * counts per arm and version (KPIs), exposures per experiment arm, canary rollout state and its
 * history, and label overrides moved at run time.
 *
 * Implementations: SQLite (embedded default, one file, one process) and Redis (several replicas
 * share everything). Every method may be called concurrently; each write is atomic on its own
 * (a feedback event is deduplicated and counted in one step, never half-applied). A backend that
 * is unreachable rejects with ServingError('STORE_UNAVAILABLE').
 */

/** Where a prediction came from; everything feedback is joined to. */
export interface PredictionRecord {
  /** Unique id returned to the caller in the reply's parameters.prediction_id. */
  id: string;
  /** The model name the caller addressed (a cascade's name for cascades). */
  model: string;
  /** The model version that answered, as a string ("2"). */
  version: string;
  /** Experiment name and arm name when an experiment chose the version. */
  experiment?: string;
  arm?: string;
  /** Cascade stage index (0-based) that answered, when the model is a cascade. */
  stage?: number;
  /** Epoch ms at which the prediction was made (wall clock). */
  atMs: number;
}

/** One feedback event after validation (types are checked by the caller, not the store). */
export interface FeedbackEvent {
  predictionId: string;
  /** impression | click | add_to_cart | purchase | a custom name ([a-z][a-z0-9_]{0,63}). */
  type: string;
  /** Monetary or other value (purchase amount); absent = none. Non-negative, finite. */
  value?: number;
  /**
   * Client id of the event; the same eventId is counted once. Absent: the event's identity is
   * (predictionId, type), so a second event of the same type for the same prediction is a duplicate.
   */
  eventId?: string;
}

export type FeedbackOutcome = 'counted' | 'duplicate' | 'unknown_prediction';

/**
 * KPI counts for one group (an experiment arm, or a model version). Per event type:
 * events: deduplicated events; units: distinct predictions with at least one event of the type;
 * valueSum and valueSumSq: sum and sum of squares over predictions of the per-prediction total
 * value of that type (a prediction with two purchases of 3 and 4 contributes 7 and 49), so means
 * and variances per exposure can be computed (predictions without the event count as 0).
 */
export interface KpiCounts {
  /** Predictions recorded for the group (exposures for an experiment arm). */
  predictions: number;
  byType: Record<string, { events: number; units: number; valueSum: number; valueSumSq: number }>;
}

export interface RolloutRecord {
  model: string;
  /** The whole state as JSON-able data; the rollout controller owns its shape. */
  state: unknown;
  /** Incremented on every write; put fails (returns false) when expectedRevision does not match. */
  revision: number;
}

export interface HistoryEntry {
  atMs: number;
  /** For example 'step', 'rolled_back', 'promoted', 'paused', 'resumed', 'started'. */
  event: string;
  detail: Record<string, unknown>;
}

export interface TrafficStateStore {
  /**
   * Records predictions; they stay joinable for the store's retention (ttl) at least. Each counts
   * one prediction for its (model, version) and, when both experiment and arm are set, for that
   * arm. An id recorded before (a retried call) is left as it is and not counted again.
   */
  recordPredictions(records: readonly PredictionRecord[]): Promise<void>;
  getPrediction(id: string): Promise<PredictionRecord | undefined>;
  /**
   * Dedups and counts one event against its prediction's model/version and experiment/arm/stage.
   * (The stage is kept on the prediction for joining; counts are kept per version and per arm.)
   */
  addFeedback(event: FeedbackEvent): Promise<FeedbackOutcome>;
  /** KPI counts of every arm of an experiment, keyed by arm name (arms without data absent). */
  experimentKpis(experiment: string): Promise<Record<string, KpiCounts>>;
  /** KPI counts of every version of a model that has recorded predictions, keyed by version. */
  versionKpis(model: string): Promise<Record<string, KpiCounts>>;

  getRollout(model: string): Promise<RolloutRecord | undefined>;
  /** Compare-and-set on revision (0 = must not exist yet); returns false on a lost race. */
  putRollout(model: string, state: unknown, expectedRevision: number): Promise<boolean>;
  appendHistory(model: string, entry: HistoryEntry): Promise<void>;
  /** Newest last; at most `limit` entries (the newest ones). */
  history(model: string, limit: number): Promise<HistoryEntry[]>;

  /** Label overrides set at run time (they win over config.yaml labels). */
  getLabels(model: string): Promise<Record<string, number>>;
  setLabel(model: string, label: string, version: number): Promise<void>;

  close(): Promise<void>;
}

export interface TrafficStateOptions {
  /** A SQLite file path (default embedded), ':memory:', or redis://host:port/db. */
  url: string;
  /** How long a prediction stays joinable to feedback; default 7 days. */
  predictionTtlMs?: number;
  /** Redis key prefix (default 'skein:traffic:'); tests use a unique one. */
  keyPrefix?: string;
}
