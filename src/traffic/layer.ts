import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ServingError, isServingError, httpStatusOf } from '../errors/index.js';
import type { InferRequest, InferResponse, ManagedService, ParameterValue } from '../serving/index.js';
import type { Clock } from '../util/index.js';
import { chooseArm, unitPosition } from './assign.js';
import { Cascade } from './cascade.js';
import { copyInputs } from './copy.js';
import type { ExperimentConfig, TrafficConfig } from './config.js';
import { FallbackChain } from './fallback.js';
import { feedbackTypes, parseFeedback } from './feedback.js';
import { TrafficMetrics } from './metrics.js';
import { PredictionRecorder, DEFAULT_RECORDER_LIMITS, type RecorderLimits } from './predictions.js';
import { experimentReport, type ExperimentReport } from './report.js';
import { RolloutController, type RolloutView } from './rollout.js';
import type { RolloutCommand, RolloutState } from './rollout-plan.js';
import { ShadowMirror } from './shadow.js';
import type { FeedbackOutcome, PredictionRecord, TrafficStateStore } from './state/types.js';

/** What the traffic layer needs of the model manager. */
export interface VersionDirectory {
  /** The ready version a number or label names now (throws VERSION_NOT_FOUND / MODEL_NOT_FOUND). */
  resolve(model: string, version?: string): { version: number };
  labelsOf(model: string): Record<string, number>;
  setLabel(model: string, label: string, version: number): void;
}

export interface TrafficOptions {
  config: TrafficConfig;
  core: ManagedService;
  versions: VersionDirectory;
  /** Owned by the layer from here on: close() closes it. */
  store: TrafficStateStore;
  registry: Registry;
  logger: Logger;
  /** Monotonic time for latencies and timers. */
  clock: Clock;
  /** Wall-clock epoch ms for stored state (rollout steps, prediction times); default Date.now. */
  wallNow?: () => number;
  /** Uniform [0, 1) for requests without a unit id and for shadow sampling; default Math.random. */
  random?: () => number;
  recorderLimits?: RecorderLimits;
}

export interface FeedbackResult {
  counted: number;
  duplicates: number;
}

export interface ExperimentSummary {
  name: string;
  model: string;
  control: string;
  unitParameter: string;
  arms: { name: string; version: string; weight: number }[];
}

/** The traffic layer: a ManagedService over the core plus the APIs of experiments, rollouts, feedback and labels. */
export interface Traffic {
  readonly service: ManagedService;
  readonly metrics: TrafficMetrics;
  start(): Promise<void>;
  close(): Promise<void>;
  experiments(): ExperimentSummary[];
  report(experiment: string): Promise<ExperimentReport>;
  rollouts(): Promise<RolloutView[]>;
  rollout(model: string): Promise<RolloutView>;
  rolloutCommand(model: string, command: RolloutCommand, reason?: string): Promise<RolloutState>;
  feedback(body: unknown): Promise<FeedbackResult>;
  /** Labels of a model and the versions they name now. */
  labels(model: string): Record<string, number>;
  /** Moves a label (only to a ready version) and persists it, so a restart keeps it. */
  setLabel(model: string, label: string, version: number): Promise<Record<string, number>>;
  /** Waits until buffered prediction records are written (tests, shutdown). */
  flush(): Promise<void>;
}

const isServerFault = (err: unknown): boolean => !isServingError(err) || httpStatusOf(err.code) >= 500;
/** A canary that is not ready (never loaded, failed, unloaded) fails like one that errors. */
const isCanaryFault = (err: unknown): boolean => isServerFault(err) || (isServingError(err) && err.code === 'VERSION_NOT_FOUND');

function cloneInputs(req: InferRequest): InferRequest {
  return { ...req, inputs: copyInputs(req.inputs) };
}

function unitOf(req: InferRequest, parameter: string, principal: string | undefined): string | undefined {
  const v = req.parameters?.[parameter];
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return principal;
}

/**
 * Builds the traffic layer. Decisions (arm, canary share, cascade rule, breaker) are made here in
 * memory; the state store only records predictions, feedback, rollout state and labels, and is
 * never awaited on the request path (prediction records are written in batches).
 */
export function createTraffic(o: TrafficOptions): Traffic {
  const { config, core, clock } = o;
  const wallNow = o.wallNow ?? Date.now;
  const random = o.random ?? Math.random;
  const metrics = new TrafficMetrics(o.registry);
  const recorder = new PredictionRecorder(o.store, clock, metrics, o.logger, o.recorderLimits ?? DEFAULT_RECORDER_LIMITS);
  const allowedTypes = feedbackTypes(config.feedback.customTypes);

  const experiments = new Map(config.experiments.map((e) => [e.model, e]));
  const experimentsByName = new Map(config.experiments.map((e) => [e.name, e]));
  const shadows = new Map(config.shadows.map((s) => [s.model, new ShadowMirror(s, metrics, random)]));
  const cascades = new Map(config.cascades.map((c) => [c.name, new Cascade(c, clock, metrics)]));
  const fallbacks = new Map(config.fallbacks.map((f) => [f.model, new FallbackChain(f, metrics)]));
  const rollouts = new Map(config.rollouts.map((r) => [r.model, new RolloutController(r, o.store, clock, metrics, o.logger, {
    versionOf: (model, ref) => o.versions.resolve(model, ref).version,
    setLabel: (model, label, version) => setLabel(model, label, version).then(() => undefined),
    wallNow,
  }, () => rolloutKpi(r.model, r.stable, r.canary, r.guardrails.kpi?.type))]));
  /** Models whose predictions get ids (feedback joins to them). */
  const tracked = new Set<string>([...experiments.keys(), ...rollouts.keys(), ...cascades.keys(), ...fallbacks.keys(), ...config.feedback.models]);

  async function rolloutKpi(model: string, stable: string, canary: string, type: string | undefined) {
    if (!type) return undefined;
    const kpis = await o.store.versionKpis(model);
    const side = (ref: string) => {
      let v: string;
      try {
        v = String(o.versions.resolve(model, ref).version);
      } catch {
        return { predictions: 0, units: 0 };
      }
      const k = kpis[v];
      return { predictions: k?.predictions ?? 0, units: k?.byType[type]?.units ?? 0 };
    };
    return { canary: side(canary), stable: side(stable) };
  }

  async function setLabel(model: string, label: string, version: number): Promise<Record<string, number>> {
    o.versions.setLabel(model, label, version);
    await o.store.setLabel(model, label, version);
    o.logger.info({ model, label, version }, 'label moved');
    return o.versions.labelsOf(model);
  }

  /** The core call for one model version, through the model's breaker when it has a fallback chain. */
  function primary(req: InferRequest): Promise<InferResponse> {
    const chain = fallbacks.get(req.model);
    if (!chain) return core.infer(req);
    let version: string;
    try {
      version = String(o.versions.resolve(req.model, req.version).version);
    } catch (err) {
      return Promise.reject(err);
    }
    return chain.guarded(version, () => core.infer({ ...req, version }));
  }

  async function withFallback(req: InferRequest): Promise<InferResponse> {
    try {
      return await primary(fallbacks.has(req.model) ? cloneInputs(req) : req);
    } catch (err) {
      const chain = fallbacks.get(req.model);
      if (!chain) throw err;
      return chain.recover(err, req, core.infer);
    }
  }

  function assignArm(e: ExperimentConfig, req: InferRequest, params: Record<string, ParameterValue>, rec: Partial<PredictionRecord>): string {
    const unit = unitOf(req, e.unitParameter, req.principal);
    const control = e.arms.find((a) => a.name === (e.control ?? e.arms[0]!.name))!;
    if (unit === undefined) {
      metrics.unassigned.inc({ experiment: e.name });
      return control.version;
    }
    const arm = chooseArm(e.arms, unitPosition(e.salt ?? e.name, unit));
    metrics.exposures.inc({ experiment: e.name, arm: arm.name });
    params.experiment = e.name;
    params.arm = arm.name;
    rec.experiment = e.name;
    rec.arm = arm.name;
    return arm.version;
  }

  async function infer(req: InferRequest): Promise<InferResponse> {
    const cascade = cascades.get(req.model);
    if (!cascade && !tracked.has(req.model) && !shadows.has(req.model)) return core.infer(req);
    const params: Record<string, ParameterValue> = {};
    const rec: Partial<PredictionRecord> = {};
    let res: InferResponse;
    if (cascade) {
      const r = await cascade.run(req, (sub) => withFallback(sub));
      rec.stage = r.stage;
      const { stage: _stage, ...rest } = r;
      res = rest;
    } else {
      let routed = req;
      let track: 'canary' | 'stable' | undefined;
      const rollout = rollouts.get(req.model);
      if (req.version === undefined || req.version === '') {
        const e = experiments.get(req.model);
        if (e) routed = { ...req, version: assignArm(e, req, params, rec) };
        else if (rollout) {
          const unit = unitOf(req, 'unit_id', req.principal);
          const r = rollout.route(unit !== undefined ? unitPosition(`rollout:${req.model}`, unit) : random());
          track = r.track;
          routed = { ...req, version: r.version };
          params.rollout_track = track;
        }
      }
      const mirror = shadows.get(req.model)?.maybeMirror(routed, core.infer);
      let answered: InferResponse | undefined;
      try {
        const started = clock.now();
        try {
          answered = await withFallback(track === 'canary' ? cloneInputs(routed) : routed);
          if (track) rollout!.record(track, true, clock.now() - started);
        } catch (err) {
          if (!track || !(track === 'canary' ? isCanaryFault(err) : isServerFault(err))) throw err;
          rollout!.record(track, false, clock.now() - started);
          if (track === 'stable' || !rollout!.config.retryOnStable) throw err;
          // The canary failed: the caller gets stable's answer instead, never the canary's error.
          metrics.rolloutRequests.inc({ model: req.model, track, outcome: 'retried_on_stable' });
          answered = await withFallback({ ...req, version: rollout!.config.stable });
          params.retried_on_stable = true;
        }
        if (track) metrics.rolloutRequests.inc({ model: req.model, track, outcome: 'ok' });
      } finally {
        mirror?.(answered);
      }
      res = answered;
    }
    if (tracked.has(req.model)) {
      const id = randomUUID();
      recorder.record({ ...rec, id, model: req.model, version: res.model_version, atMs: wallNow() });
      params.prediction_id = id;
    }
    return { ...res, parameters: { ...res.parameters, ...params } };
  }

  const service: ManagedService = {
    ...core,
    get draining() {
      return core.draining;
    },
    beginDrain: () => core.beginDrain(),
    infer,
    modelReady(model, version) {
      const c = cascades.get(model);
      if (!c) return core.modelReady(model, version);
      return c.config.stages.every((s) => core.modelReady(s.model, s.version));
    },
    modelMetadata(model, version) {
      const c = cascades.get(model);
      return c ? c.metadata((m, v) => core.modelMetadata(m, v)) : core.modelMetadata(model, version);
    },
  };

  function rolloutOf(model: string): RolloutController {
    const r = rollouts.get(model);
    if (!r) throw new ServingError('ROLLOUT_NOT_FOUND', `model '${model}' has no rollout in the traffic config`);
    return r;
  }

  return {
    service,
    metrics,
    async start() {
      // Labels moved at run time come back after a restart (when their version is ready again).
      const models = new Set([...experiments.keys(), ...rollouts.keys(), ...fallbacks.keys(), ...config.feedback.models]);
      for (const model of models) {
        let stored: Record<string, number>;
        try {
          stored = await o.store.getLabels(model);
        } catch (err) {
          o.logger.warn({ model, err: String(err) }, 'moved labels not restored: the traffic state store is unavailable; config.yaml labels apply');
          continue;
        }
        for (const [label, version] of Object.entries(stored)) {
          try {
            o.versions.setLabel(model, label, version);
          } catch (err) {
            o.logger.warn({ model, label, version, err: String(err) }, 'stored label not restored');
          }
        }
      }
      for (const r of rollouts.values()) await r.start();
    },
    async close() {
      for (const r of rollouts.values()) r.close();
      await recorder.flush();
      await o.store.close();
    },
    experiments: () => config.experiments.map((e) => ({
      name: e.name, model: e.model, control: e.control ?? e.arms[0]!.name, unitParameter: e.unitParameter,
      arms: e.arms.map((a) => ({ name: a.name, version: a.version, weight: a.weight })),
    })),
    async report(name) {
      const e = experimentsByName.get(name);
      if (!e) throw new ServingError('EXPERIMENT_NOT_FOUND', `no experiment '${name}' in the traffic config`);
      await recorder.flush();
      return experimentReport(e, await o.store.experimentKpis(name));
    },
    rollouts: () => Promise.all([...rollouts.values()].map((r) => r.view())),
    rollout: (model) => rolloutOf(model).view(),
    rolloutCommand: (model, command, reason) => rolloutOf(model).command(command, reason ?? `operator: ${command}`),
    async feedback(body) {
      const events = parseFeedback(body, allowedTypes, config.feedback.maxEventsPerRequest);
      // Predictions still buffered are written first, so feedback never races its prediction.
      if (events.some((e) => recorder.buffered(e.predictionId))) await recorder.flush();
      const records = await Promise.all(events.map((e) => o.store.getPrediction(e.predictionId)));
      const unknown = events.filter((_, i) => !records[i]).map((e) => e.predictionId);
      if (unknown.length > 0) {
        throw new ServingError('PREDICTION_NOT_FOUND', `unknown prediction id${unknown.length > 1 ? 's' : ''} ${[...new Set(unknown)].slice(0, 5).join(', ')}; nothing of this request was counted`);
      }
      const result: FeedbackResult = { counted: 0, duplicates: 0 };
      for (const [i, e] of events.entries()) {
        const outcome: FeedbackOutcome = await o.store.addFeedback(e);
        const p = records[i]!;
        const labels = { model: p.model, version: p.version, experiment: p.experiment ?? '', arm: p.arm ?? '', type: e.type };
        if (outcome === 'counted') {
          result.counted++;
          if (e.value !== undefined) metrics.feedbackValue.inc(labels, e.value);
        } else result.duplicates++;
        metrics.feedback.inc({ ...labels, outcome: outcome === 'counted' ? 'counted' : 'duplicate' });
      }
      return result;
    },
    labels: (model) => o.versions.labelsOf(model),
    setLabel,
    flush: () => recorder.flush(),
  };
}
