import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { runCascadeTune, type CascadeTuneReport } from '../../src/cli/cascade-command.js';
import { parseTrafficConfig } from '../../src/traffic/index.js';
import { skein } from '../../test/helpers/cli.js';
import { heldOutPurchaseRows, PURCHASE_CASCADE, PURCHASE_STAGE_COSTS, writeCascadeExample, type CascadeFiles } from './cascade.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { buildRepository } from './repository.js';

const SEED = 42;
/** Between v1 alone (0.776) and v2 alone (0.785) on the held-out rows: the cascade has work to do. */
const TARGET_ACCURACY = 0.78;

interface ValidationLine {
  inputs: { features: number[] };
  label: number;
}

async function readValidation(path: string): Promise<ValidationLine[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ValidationLine);
}

/** purchase/<version>'s probability for every row, straight from onnxruntime (no Skein code). */
async function probabilities(repo: string, version: number, rows: ValidationLine[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(await readFile(join(repo, 'purchase', String(version), 'model.onnx')));
  const x = Float32Array.from(rows.flatMap((r) => r.inputs.features));
  const out = await session.run({ features: new ort.Tensor('float32', x, [rows.length, PURCHASE_FEATURE_COUNT]) });
  await session.release();
  return out.probability!.data as Float32Array;
}

describe('yarnit purchase cascade', () => {
  let root = '';
  let repo = '';
  let files: CascadeFiles;
  let report: CascadeTuneReport;
  const tuneArgs = () => [
    'cascade', 'tune', '--model-repository', repo, '--traffic', files.trafficFile, '--cascade', PURCHASE_CASCADE,
    '--validation', files.validationFile, '--target-accuracy', String(TARGET_ACCURACY),
  ];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skein-yarnit-cascade-'));
    repo = join(root, 'models');
    await buildRepository(repo, SEED);
    files = await writeCascadeExample(join(root, 'data'), SEED);
    report = await runCascadeTune({
      modelRepository: repo, trafficFile: files.trafficFile, cascade: PURCHASE_CASCADE,
      validationFile: files.validationFile, targetAccuracy: TARGET_ACCURACY,
    });
  });
  after(async () => { if (root !== '') await rm(root, { recursive: true, force: true }); });

  test('traffic.yaml declares purchase v1 with a margin rule, then purchase v2, with their costs', async () => {
    const config = parseTrafficConfig(await readFile(files.trafficFile, 'utf8'));
    assert.deepEqual(config.cascades, [{
      name: PURCHASE_CASCADE,
      stages: [
        { model: 'purchase', version: '1', rule: { margin: 0.3 }, cost: PURCHASE_STAGE_COSTS[0] },
        { model: 'purchase', version: '2', cost: PURCHASE_STAGE_COSTS[1] },
      ],
    }]);
  });

  test('the validation file holds every held-out row, exact as float32, with its label', async () => {
    const lines = await readValidation(files.validationFile);
    const held = heldOutPurchaseRows(SEED);
    assert.equal(lines.length, 4800);
    assert.equal(files.rows, 4800);
    lines.forEach((line, r) => {
      assert.equal(line.label, held.labels[r]);
      assert.deepEqual(Float32Array.from(line.inputs.features), held.features.subarray(r * PURCHASE_FEATURE_COUNT, (r + 1) * PURCHASE_FEATURE_COUNT));
    });
  });

  test('the recommended margin meets the target on the validation rows, for less than always running v2', async () => {
    const r = report.recommended;
    assert.equal(r.metTarget, true);
    assert.deepEqual(report.stages.map((s) => [s.version, s.costPerRow, s.costSource]), [['1', 34, 'config'], ['2', 1154, 'config']]);
    const margin = r.thresholds[0]!;
    const rows = await readValidation(files.validationFile);
    const [p1, p2] = [await probabilities(repo, 1, rows), await probabilities(repo, 2, rows)];
    let right = 0;
    let cost = 0;
    rows.forEach((row, i) => {
      const confident = Math.abs(p1[i]! - 0.5) >= margin;
      const p = confident ? p1[i]! : p2[i]!;
      cost += confident ? PURCHASE_STAGE_COSTS[0] : PURCHASE_STAGE_COSTS[0] + PURCHASE_STAGE_COSTS[1];
      if ((p >= 0.5 ? 1 : 0) === row.label) right++;
    });
    const accuracy = right / rows.length;
    const costPerRow = cost / rows.length;
    assert.ok(accuracy >= TARGET_ACCURACY, `recomputed accuracy ${accuracy} at margin ${margin}`);
    assert.ok(costPerRow < PURCHASE_STAGE_COSTS[1], `cost ${costPerRow} per row vs ${PURCHASE_STAGE_COSTS[1]} for v2 alone`);
    assert.ok(Math.abs(accuracy - r.accuracy) < 1e-9 && Math.abs(costPerRow - r.costPerRow) < 1e-6, 'tune reports what the thresholds do');
    assert.ok(report.trafficYaml.includes(`margin: ${margin}`), report.trafficYaml);
  });

  test('skein cascade tune --json prints the same recommendation; its table and snippet print without --json', async () => {
    const json = await skein([...tuneArgs(), '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).recommended, report.recommended);
    const text = await skein(tuneArgs());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /stage 0 margin\s+stage 0 answers\s+stage 1 answers\s+accuracy/);
    assert.ok(text.stdout.includes(report.trafficYaml), text.stdout);
  });

  test('skein cascade tune exits 2 on a missing flag or an unknown cascade, and 3 when no margin reaches the target', async () => {
    const missing = await skein(tuneArgs().slice(0, -2));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--target-accuracy/);
    const unknown = await skein(tuneArgs().map((a) => (a === PURCHASE_CASCADE ? 'nope' : a)));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no cascade 'nope'.*'purchase_cascade'/);
    const unreachable = await skein([...tuneArgs().slice(0, -1), '0.99']);
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stdout, /no thresholds reach accuracy 0.99/);
  });
});
