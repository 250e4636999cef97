import type { RolloutConfig } from './config.js';
import type { WindowSnapshot } from './window.js';

/**
 * A canary rollout's state and the pure decision over it. The controller (rollout.ts) feeds
 * snapshots in and applies the decision; nothing here does I/O or reads a clock.
 */
export type RolloutStatus = 'pending' | 'ramping' | 'paused' | 'rolled_back' | 'completed';

export interface RolloutState {
  status: RolloutStatus;
  /** Index into config.steps; -1 before the first step. */
  step: number;
  /** Canary share of traffic now, in percent. */
  percent: number;
  /** Wall-clock epoch ms when the current step (or pause) began. */
  sinceMs: number;
  /** Why the rollout last changed state (a guardrail, or an operator's command). */
  reason?: string;
}

export interface KpiSnapshot {
  /** Predictions and units with at least one event of the guardrail's type. */
  canary: { predictions: number; units: number };
  stable: { predictions: number; units: number };
}

export type RolloutDecision =
  | { action: 'hold'; reason?: string }
  | { action: 'advance'; step: number; percent: number }
  | { action: 'complete' }
  | { action: 'rollback'; reason: string };

/** Canary requests needed before guardrails are judged at all (fewer would roll back on noise). */
export const MIN_GUARDRAIL_REQUESTS = 20;
/** Requests per side before p99 latencies are compared: on fewer, p99 is just the slowest one. */
export const MIN_LATENCY_REQUESTS = 100;
/** Predictions per side needed before the KPI guardrail is judged. */
export const MIN_KPI_PREDICTIONS = 200;

export function initialRolloutState(nowMs: number): RolloutState {
  return { status: 'pending', step: -1, percent: 0, sinceMs: nowMs };
}

/** The first guardrail the canary breaks, or undefined while all hold. */
export function brokenGuardrail(config: RolloutConfig, canary: WindowSnapshot, stable: WindowSnapshot, kpi?: KpiSnapshot): string | undefined {
  const g = config.guardrails;
  const min = Math.min(MIN_GUARDRAIL_REQUESTS, config.minRequestsPerStep);
  if (canary.requests >= min) {
    if (canary.errorRate > g.maxErrorRate) {
      return `canary error rate ${pct(canary.errorRate)} is above maxErrorRate ${pct(g.maxErrorRate)} (${canary.errors}/${canary.requests})`;
    }
    if (stable.requests >= min && canary.errorRate - stable.errorRate > g.maxErrorRateIncrease) {
      return `canary error rate ${pct(canary.errorRate)} exceeds stable's ${pct(stable.errorRate)} by more than ${pct(g.maxErrorRateIncrease)}`;
    }
    const enough = canary.requests >= MIN_LATENCY_REQUESTS && stable.requests >= MIN_LATENCY_REQUESTS;
    if (enough && stable.p99Ms > 0 && canary.p99Ms / stable.p99Ms > g.maxP99LatencyRatio && canary.p99Ms - stable.p99Ms >= g.minP99LatencyIncreaseMs) {
      return `canary p99 ${canary.p99Ms.toFixed(2)} ms is more than ${g.maxP99LatencyRatio}× stable's ${stable.p99Ms.toFixed(2)} ms`;
    }
  }
  if (g.kpi && kpi && kpi.canary.predictions >= MIN_KPI_PREDICTIONS && kpi.stable.predictions >= MIN_KPI_PREDICTIONS) {
    const c = kpi.canary.units / kpi.canary.predictions;
    const s = kpi.stable.units / kpi.stable.predictions;
    if (s > 0 && c < g.kpi.minRatio * s) {
      return `canary ${g.kpi.type} rate ${pct(c)} is below ${g.kpi.minRatio}× stable's ${pct(s)}`;
    }
  }
  return undefined;
}

/** What the controller should do now for a ramping rollout. */
export function decideRollout(config: RolloutConfig, state: RolloutState, canary: WindowSnapshot, stable: WindowSnapshot, nowMs: number, kpi?: KpiSnapshot): RolloutDecision {
  if (state.status !== 'ramping') return { action: 'hold' };
  const broken = brokenGuardrail(config, canary, stable, kpi);
  if (broken) return { action: 'rollback', reason: broken };
  if (nowMs - state.sinceMs < config.stepDwellMs) return { action: 'hold', reason: 'dwelling' };
  if (canary.requests < config.minRequestsPerStep) return { action: 'hold', reason: `waiting for ${config.minRequestsPerStep} canary requests (${canary.requests} so far)` };
  const next = state.step + 1;
  if (next >= config.steps.length) return { action: 'complete' };
  return { action: 'advance', step: next, percent: config.steps[next]! };
}

export type RolloutCommand = 'start' | 'pause' | 'resume' | 'promote' | 'rollback';

/** Operator commands as a pure transition; undefined = not allowed from this state. */
export function commandTransition(config: RolloutConfig, state: RolloutState, command: RolloutCommand, nowMs: number, reason: string): RolloutState | undefined {
  switch (command) {
    case 'start':
      if (state.status === 'ramping' || state.status === 'paused') return undefined;
      return { status: 'ramping', step: 0, percent: config.steps[0]!, sinceMs: nowMs, reason };
    case 'pause':
      return state.status === 'ramping' ? { ...state, status: 'paused', sinceMs: nowMs, reason } : undefined;
    case 'resume':
      return state.status === 'paused' ? { ...state, status: 'ramping', sinceMs: nowMs, reason } : undefined;
    case 'promote':
      return state.status === 'ramping' || state.status === 'paused' ? { status: 'completed', step: config.steps.length - 1, percent: 100, sinceMs: nowMs, reason } : undefined;
    case 'rollback':
      return state.status === 'ramping' || state.status === 'paused' ? { ...state, status: 'rolled_back', percent: 0, sinceMs: nowMs, reason } : undefined;
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
