import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { parseWith } from '../config/index.js';
import { ServingError, type ErrorCode } from '../errors/index.js';

/**
 * traffic.yaml: the rules that choose which version answers (experiments, canary rollouts,
 * shadows, cascades, fallbacks) and the feedback event types. docs/traffic.md documents every key.
 * Versions are written as a number (2) or a label ("stable"); labels resolve at request time, so
 * moving a label moves the traffic that names it.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const name = () => z.string().regex(NAME, 'names must match [A-Za-z_][A-Za-z0-9_.-]{0,63}');
const versionRef = z.union([z.number().int().min(1), z.string().regex(/^[A-Za-z0-9_]{1,64}$/)]).transform(String);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const ArmSchema = z.strictObject({
  name: name(),
  version: versionRef,
  /** Relative weight; arms get traffic in proportion to their weights. */
  weight: z.number().positive().max(1_000_000).default(1),
});

export const ExperimentSchema = z.strictObject({
  name: name(),
  model: name(),
  /**
   * Request parameter holding the pseudonymous unit id (OIP `parameters`); when absent, the
   * authenticated principal is the unit. A request with neither gets the control arm, unexposed.
   */
  unitParameter: z.string().min(1).max(64).default('unit_id'),
  /** Mixed into the hash so two experiments over the same units assign independently. */
  salt: z.string().max(128).optional(),
  /** Name of the control arm; default the first arm. */
  control: name().optional(),
  arms: z.array(ArmSchema).min(2).max(16),
  /** Significance level of the report's tests. */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
});

export const GuardrailsSchema = z.strictObject({
  /** The canary's error rate over the current step must stay at or below this. */
  maxErrorRate: z.number().min(0).max(1).default(0.05),
  /** ... and at most this much above stable's error rate over the same window. */
  maxErrorRateIncrease: z.number().min(0).max(1).default(0.01),
  /** Canary p99 latency / stable p99 latency over the step must stay at or below this… */
  maxP99LatencyRatio: z.number().min(1).max(1000).default(2),
  /**
   * …unless the canary's p99 exceeds stable's by less than this: at sub-millisecond latencies one
   * GC pause doubles a p99, which is noise, not a slower version.
   */
  minP99LatencyIncreaseMs: z.number().min(0).max(600_000).default(5),
  /** Optional KPI guardrail: canary rate of `type` events per prediction ≥ minRatio × stable's. */
  kpi: z.strictObject({ type: z.string().min(1).max(64), minRatio: z.number().gt(0).max(10) }).optional(),
});

export const RolloutSchema = z.strictObject({
  model: name(),
  /** The version stable traffic goes to (a label such as "stable" or a number). */
  stable: versionRef.default('stable'),
  canary: versionRef,
  /** Canary share of traffic per step, in percent, ascending; the last step is usually 100. */
  steps: z.array(z.number().gt(0).max(100)).min(1).max(32).default([1, 5, 25, 50, 100]),
  /** Time each step must hold with guardrails passing before the next one. */
  stepDwellMs: int(1, 7 * 86_400_000).default(60_000),
  /** Canary requests a step needs before it may advance (guardrails are judged on them). */
  minRequestsPerStep: int(1, 10_000_000).default(100),
  /** How often the controller checks guardrails. */
  checkIntervalMs: int(10, 3_600_000).default(1_000),
  guardrails: GuardrailsSchema.default(GuardrailsSchema.parse({})),
  /** A canary request that fails is answered by stable, so clients never see the canary's errors. */
  retryOnStable: z.boolean().default(true),
  /** On passing the last step, move the `stable` label to the canary version (when stable is a label). */
  promoteOnComplete: z.boolean().default(true),
  /** Start ramping when the server starts (else wait for `skein rollout start`). */
  autoStart: z.boolean().default(true),
});

export const ShadowSchema = z.strictObject({
  model: name(),
  /** The version that receives a mirrored copy. */
  version: versionRef,
  /** Share of the model's requests mirrored, in percent. */
  percent: z.number().min(0).max(100),
  /** Outputs differing by more than this (max absolute difference) count as a mismatch. */
  tolerance: z.number().min(0).default(1e-6),
  /** Mirrored requests in flight at most; beyond it, mirrors are dropped (counted). */
  maxInflight: int(1, 100_000).default(64),
});

export const RuleSchema = z.union([
  /** Multiclass: accept when the largest probability of the row is ≥ the value. */
  z.strictObject({ topProbability: z.number().min(0).max(1), output: z.string().optional() }),
  /** Binary: accept when |p − 0.5| ≥ the value (p = the row's first value of the output). */
  z.strictObject({ margin: z.number().min(0).max(0.5), output: z.string().optional() }),
]);

export const StageSchema = z.strictObject({
  model: name(),
  version: versionRef.optional(),
  /** Absent on the last stage (it always answers); required on every other stage. */
  rule: RuleSchema.optional(),
  /** Relative cost of running this stage per row (for `skein cascade tune`); default measured. */
  cost: z.number().positive().optional(),
});

export const CascadeSchema = z.strictObject({
  /** The name clients call: POST /v2/models/<name>/infer. Must not be a repository model. */
  name: name(),
  stages: z.array(StageSchema).min(2).max(8),
});

export const FALLBACK_TRIGGERS = ['MODEL_NOT_READY', 'MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'QUEUE_FULL', 'DEADLINE_EXCEEDED', 'INFERENCE_FAILED', 'CIRCUIT_OPEN', 'SHUTTING_DOWN', 'INTERNAL'] as const satisfies readonly ErrorCode[];

export const DefaultOutputSchema = z.strictObject({
  name: z.string().min(1),
  datatype: z.enum(['FP32', 'FP64', 'INT64', 'INT32', 'BYTES', 'BOOL']),
  /** Per row: shape [rows, ...shape]; value repeated. */
  shape: z.array(int(1, 65_536)).max(4).default([1]),
  value: z.union([z.number(), z.string(), z.boolean()]),
});

export const FallbackStepSchema = z.union([
  z.strictObject({ version: versionRef }),
  z.strictObject({ model: name(), version: versionRef.optional() }),
  z.strictObject({ default: z.strictObject({ outputs: z.array(DefaultOutputSchema).min(1).max(16) }) }),
]);

export const FallbackSchema = z.strictObject({
  model: name(),
  chain: z.array(FallbackStepSchema).min(1).max(8),
  on: z.array(z.enum(FALLBACK_TRIGGERS)).min(1).default([...FALLBACK_TRIGGERS]),
  circuitBreaker: z.strictObject({
    /** Consecutive failures of a version that open its breaker. */
    consecutiveFailures: int(1, 10_000).default(5),
    /** How long the breaker stays open before one trial request (half-open). */
    halfOpenAfterMs: int(10, 3_600_000).default(10_000),
  }).default({ consecutiveFailures: 5, halfOpenAfterMs: 10_000 }),
});

export const FEEDBACK_TYPE = /^[a-z][a-z0-9_]{0,63}$/;
export const BUILTIN_FEEDBACK_TYPES = ['impression', 'click', 'add_to_cart', 'purchase'] as const;

export const TrafficConfigSchema = z.strictObject({
  experiments: z.array(ExperimentSchema).max(64).default([]),
  rollouts: z.array(RolloutSchema).max(64).default([]),
  shadows: z.array(ShadowSchema).max(64).default([]),
  cascades: z.array(CascadeSchema).max(64).default([]),
  fallbacks: z.array(FallbackSchema).max(64).default([]),
  feedback: z.strictObject({
    /** Custom event types allowed besides impression, click, add_to_cart, purchase. */
    customTypes: z.array(z.string().regex(FEEDBACK_TYPE)).max(64).default([]),
    /** Events per POST /v2/feedback. */
    maxEventsPerRequest: int(1, 100_000).default(1_000),
    /** Models whose predictions get ids without any other rule (KPIs per version). */
    models: z.array(name()).max(256).default([]),
  }).default({ customTypes: [], maxEventsPerRequest: 1_000, models: [] }),
});

export type TrafficConfig = z.output<typeof TrafficConfigSchema>;
export type ExperimentConfig = z.output<typeof ExperimentSchema>;
export type RolloutConfig = z.output<typeof RolloutSchema>;
export type ShadowConfig = z.output<typeof ShadowSchema>;
export type CascadeConfig = z.output<typeof CascadeSchema>;
export type CascadeRule = z.output<typeof RuleSchema>;
export type FallbackConfig = z.output<typeof FallbackSchema>;
export type FallbackStep = z.output<typeof FallbackStepSchema>;

export function emptyTrafficConfig(): TrafficConfig {
  return TrafficConfigSchema.parse({});
}

function dupes(values: string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

/** Parses traffic.yaml text; errors name the key. Cross-references are checked here too. */
export function parseTrafficConfig(text: string, source = 'traffic.yaml'): TrafficConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : 'parse error';
    throw new ServingError('INVALID_CONFIG', `${source} is not valid YAML: ${why}`);
  }
  const config = parseWith(TrafficConfigSchema, raw ?? {}, source);
  const bad = (msg: string) => new ServingError('INVALID_CONFIG', `${source}: ${msg}`);
  for (const d of dupes(config.experiments.map((e) => e.name))) throw bad(`experiment '${d}' is declared twice`);
  for (const d of dupes(config.experiments.map((e) => e.model))) throw bad(`model '${d}' has two experiments; run one experiment per model at a time`);
  for (const d of dupes(config.rollouts.map((e) => e.model))) throw bad(`model '${d}' has two rollouts`);
  for (const d of dupes(config.fallbacks.map((e) => e.model))) throw bad(`model '${d}' has two fallback chains`);
  for (const d of dupes(config.cascades.map((e) => e.name))) throw bad(`cascade '${d}' is declared twice`);
  for (const e of config.experiments) {
    for (const d of dupes(e.arms.map((a) => a.name))) throw bad(`experiment '${e.name}' has two arms named '${d}'`);
    if (e.control !== undefined && !e.arms.some((a) => a.name === e.control)) throw bad(`experiment '${e.name}': control '${e.control}' is not one of its arms`);
    if (config.rollouts.some((r) => r.model === e.model)) throw bad(`model '${e.model}' has both an experiment and a rollout; finish one first`);
  }
  for (const r of config.rollouts) {
    for (let i = 1; i < r.steps.length; i++) if (r.steps[i]! <= r.steps[i - 1]!) throw bad(`rollout of '${r.model}': steps must ascend`);
    if (r.stable === r.canary) throw bad(`rollout of '${r.model}': canary and stable are the same version`);
  }
  for (const c of config.cascades) {
    c.stages.forEach((s, i) => {
      const last = i === c.stages.length - 1;
      if (!last && !s.rule) throw bad(`cascade '${c.name}': stage ${i} needs a rule (only the last stage answers unconditionally)`);
      if (last && s.rule) throw bad(`cascade '${c.name}': the last stage always answers; remove its rule`);
    });
  }
  return config;
}
