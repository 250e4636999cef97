import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutSchema } from './config.js';
import { commandTransition, decideRollout, initialRolloutState, type RolloutState } from './rollout-plan.js';
import { OutcomeWindow } from './window.js';

const config = RolloutSchema.parse({ model: 'm', canary: 2, steps: [1, 50, 100], stepDwellMs: 1000, minRequestsPerStep: 50 });
const ramping = (step: number, sinceMs = 0): RolloutState => ({ status: 'ramping', step, percent: config.steps[step]!, sinceMs });

function window(requests: number, errors: number, latencyMs: number) {
  const w = new OutcomeWindow();
  for (let i = 0; i < requests; i++) w.record(i >= errors, latencyMs);
  return w.snapshot();
}

test('holds while the step dwells, then advances to the next step once enough canary requests passed', () => {
  const healthy = window(60, 0, 2);
  assert.equal(decideRollout(config, ramping(0), healthy, healthy, 500).action, 'hold');
  assert.deepEqual(decideRollout(config, ramping(0), healthy, healthy, 1000), { action: 'advance', step: 1, percent: 50 });
  assert.deepEqual(decideRollout(config, ramping(2), healthy, healthy, 1000), { action: 'complete' });
});

test('waits for minRequestsPerStep before advancing', () => {
  const few = window(10, 0, 2);
  const d = decideRollout(config, ramping(0), few, few, 5000);
  assert.equal(d.action, 'hold');
});

test('rolls back at once when the canary error rate breaks maxErrorRate, even during the dwell', () => {
  const d = decideRollout(config, ramping(0), window(40, 10, 2), window(1000, 0, 2), 10);
  assert.equal(d.action, 'rollback');
  assert.match((d as { reason: string }).reason, /maxErrorRate/);
});

test('rolls back when the canary p99 is more than maxP99LatencyRatio times stable p99', () => {
  const d = decideRollout(config, ramping(1), window(100, 0, 50), window(100, 0, 5), 10);
  assert.equal(d.action, 'rollback');
  assert.match((d as { reason: string }).reason, /p99/);
});

test('does not judge on fewer than 20 canary requests', () => {
  assert.equal(decideRollout(config, ramping(0), window(5, 5, 2), window(100, 0, 2), 10).action, 'hold');
});

test('rolls back when the KPI guardrail breaks', () => {
  const withKpi = RolloutSchema.parse({ model: 'm', canary: 2, guardrails: { kpi: { type: 'purchase', minRatio: 0.8 } } });
  const w = window(100, 0, 2);
  const kpi = { canary: { predictions: 1000, units: 50 }, stable: { predictions: 1000, units: 100 } };
  assert.equal(decideRollout(withKpi, { status: 'ramping', step: 0, percent: 1, sinceMs: 0 }, w, w, 0, kpi).action, 'rollback');
  const fine = { canary: { predictions: 1000, units: 95 }, stable: { predictions: 1000, units: 100 } };
  assert.equal(decideRollout(withKpi, { status: 'ramping', step: 0, percent: 1, sinceMs: 0 }, w, w, 0, fine).action, 'hold');
});

test('commands move between states only where allowed', () => {
  const pending = initialRolloutState(0);
  assert.equal(commandTransition(config, pending, 'pause', 1, 'x'), undefined);
  const started = commandTransition(config, pending, 'start', 1, 'operator')!;
  assert.deepEqual([started.status, started.percent], ['ramping', 1]);
  const paused = commandTransition(config, started, 'pause', 2, 'x')!;
  assert.equal(paused.status, 'paused');
  assert.equal(decideRollout(config, paused, window(100, 100, 2), window(100, 0, 2), 5000).action, 'hold');
  assert.equal(commandTransition(config, paused, 'resume', 3, 'x')!.status, 'ramping');
  const back = commandTransition(config, started, 'rollback', 4, 'x')!;
  assert.deepEqual([back.status, back.percent], ['rolled_back', 0]);
  assert.equal(commandTransition(config, back, 'promote', 5, 'x'), undefined);
  assert.equal(commandTransition(config, back, 'start', 5, 'x')!.status, 'ramping');
  assert.deepEqual(commandTransition(config, started, 'promote', 6, 'x')!.percent, 100);
});

test('a p99 ratio above the limit is noise below minP99LatencyIncreaseMs', () => {
  // 0.4 ms against 0.1 ms: 4× but 0.3 ms apart, under the 5 ms floor.
  assert.equal(decideRollout(config, ramping(0), window(200, 0, 0.4), window(200, 0, 0.1), 10).action, 'hold');
  const strict = RolloutSchema.parse({ model: 'm', canary: 2, guardrails: { minP99LatencyIncreaseMs: 0 } });
  assert.equal(decideRollout(strict, ramping(0), window(200, 0, 0.4), window(200, 0, 0.1), 10).action, 'rollback');
});
