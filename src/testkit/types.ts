/**
 * The testkit's results. A run is a list of suites; a suite is a list of cases. A suite that did
 * not run says why (`reason`); a suite that ran failed when any of its cases failed.
 */
export type SuiteName = 'protocol' | 'functional' | 'statistical' | 'errors' | 'load' | 'e2e';

export const SUITE_NAMES: readonly SuiteName[] = ['protocol', 'functional', 'statistical', 'errors', 'load', 'e2e'];

export type Status = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  name: string;
  status: Status;
  /** Why it failed or was skipped; never holds the values sent. */
  message?: string;
  durationMs: number;
}

/** One latency sample of the load suite; times are from the start of the load run. */
export interface LoadSample {
  scheduledAtMs: number;
  /** Completion minus *scheduled* send time, so a stalled client cannot hide queueing. */
  latencyMs: number;
  ok: boolean;
}

export interface LoadSummary {
  targetRps: number;
  durationMs: number;
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  /** Requests not sent because maxInFlight requests were already outstanding. */
  dropped: number;
  errorRate: number;
  /** Successful answers per second over the whole run (first schedule to last answer). */
  achievedRps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: LoadSample[];
  /** The first few distinct error messages, for the report. */
  errorMessages: string[];
}

export interface ScoreComparison {
  kind: 'score';
  output: string;
  baseline: number[];
  observed: number[];
  ks: { statistic: number; pValue: number };
  psi: number;
}

export interface ClassComparison {
  kind: 'class';
  output: string;
  /** Proportions per class in the baseline. */
  baseline: Record<string, number>;
  /** Counts per class among the predictions. */
  observed: Record<string, number>;
  chiSquare: { statistic: number; degreesOfFreedom: number; pValue: number };
}

export type DistributionComparison = ScoreComparison | ClassComparison;

export interface SuiteResult {
  name: SuiteName;
  status: Status;
  /** Why the suite was skipped. */
  reason?: string;
  cases: CaseResult[];
  durationMs: number;
  load?: LoadSummary;
  distributions?: DistributionComparison[];
}

export interface Report {
  endpoint: string;
  model: string;
  version?: string;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  suites: SuiteResult[];
  /** True when no suite that ran failed. */
  passed: boolean;
}

/** Emitted while the load suite runs (the CLI draws a progress bar from it). */
export interface LoadProgress {
  scheduled: number;
  total: number;
  completed: number;
  errors: number;
}
