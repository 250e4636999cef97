import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isServingError } from '../errors/index.js';
import { parseTrafficConfig } from './config.js';

function refused(yaml: string, pattern: RegExp): void {
  assert.throws(() => parseTrafficConfig(yaml), (err: unknown) => isServingError(err) && err.code === 'INVALID_CONFIG' && pattern.test(err.message));
}

test('a valid traffic.yaml parses with defaults filled in', () => {
  const c = parseTrafficConfig(`
experiments:
  - { name: e, model: m, arms: [{ name: a, version: stable }, { name: b, version: 2 }] }
rollouts:
  - { model: r, canary: 3 }
cascades:
  - { name: c, stages: [{ model: cheap, rule: { margin: 0.2 } }, { model: big }] }
`);
  assert.equal(c.experiments[0]!.unitParameter, 'unit_id');
  assert.deepEqual(c.experiments[0]!.arms.map((a) => [a.version, a.weight]), [['stable', 1], ['2', 1]]);
  assert.deepEqual(c.rollouts[0]!.steps, [1, 5, 25, 50, 100]);
  assert.equal(c.rollouts[0]!.guardrails.minP99LatencyIncreaseMs, 5);
  assert.equal(c.feedback.maxEventsPerRequest, 1000);
});

test('mistakes are refused with a message naming what to fix', () => {
  refused('experiment: []', /unknown key 'experiment'/);
  refused('experiments:\n  - { name: e, model: m, arms: [{ name: a, version: 1 }] }', /arms/);
  refused('experiments:\n  - { name: e, model: m, arms: [{ name: a, version: 1 }, { name: a, version: 2 }] }', /two arms named 'a'/);
  refused('experiments:\n  - { name: e, model: m, control: z, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }', /control 'z' is not one of its arms/);
  refused('experiments:\n  - { name: e, model: m, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }\n  - { name: f, model: m, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }', /model 'm' has two experiments/);
  refused('experiments:\n  - { name: e, model: m, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }\nrollouts:\n  - { model: m, canary: 2 }', /both an experiment and a rollout/);
  refused('rollouts:\n  - { model: m, canary: 2, steps: [50, 10] }', /steps must ascend/);
  refused('rollouts:\n  - { model: m, stable: 2, canary: 2 }', /same version/);
  refused('cascades:\n  - { name: c, stages: [{ model: a }, { model: b }] }', /stage 0 needs a rule/);
  refused('cascades:\n  - { name: c, stages: [{ model: a, rule: { margin: 0.1 } }, { model: b, rule: { margin: 0.1 } }] }', /last stage always answers/);
  refused('shadows:\n  - { model: m, version: 2, percent: 150 }', /percent/);
  refused('feedback:\n  customTypes: [Page-View]', /customTypes/);
  refused('experiments: [', /not valid YAML/);
});
