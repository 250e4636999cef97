import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingError } from '../errors/index.js';
import { DEFAULT_LOAD, defaultSuite, loadSuite, parseSuite, SUITE_LIMITS } from './suite.js';

const example = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }], outputs: { y: { data: [3] } } };

async function rejects(raw: unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(parseSuite(raw, '.'), (err: unknown) => err instanceof ServingError && err.code === 'INVALID_CONFIG' && pattern.test(err.message));
}

describe('suite file', () => {
  test('an empty suite runs errors, load and e2e with the defaults and no functional or statistical section', async () => {
    const s = await parseSuite({}, '.');
    assert.equal(s.functional, undefined);
    assert.equal(s.statistical, undefined);
    assert.deepEqual(s.load, DEFAULT_LOAD);
    assert.equal(s.errors.maxBodyBytes, 64 * 1024 * 1024);
    assert.deepEqual(defaultSuite().load, DEFAULT_LOAD);
  });

  test('an unknown key is refused with its path named', async () => {
    await rejects({ load: { rps: 10 } }, /^suite file: load: .*rps/i);
    await rejects({ functional: { examples: [example], tol: 1 } }, /functional: .*tol/);
  });

  test('load rate is bounded: users × ratePerUser at the limit passes, past it fails', async () => {
    const users = 100;
    const at = await parseSuite({ load: { users, ratePerUser: SUITE_LIMITS.maxTotalRps / users } }, '.');
    assert.equal(at.load.users * at.load.ratePerUser, SUITE_LIMITS.maxTotalRps);
    await rejects({ load: { users, ratePerUser: SUITE_LIMITS.maxTotalRps / users + 0.01 } }, /at most 10000 requests\/s/);
  });

  test('load duration is bounded at 600000 ms', async () => {
    assert.equal((await parseSuite({ load: { durationMs: 600_000 } }, '.')).load.durationMs, 600_000);
    await rejects({ load: { durationMs: 600_001 } }, /load.durationMs/);
  });

  test('referenced files are read relative to the suite file: JSON, JSON lines and YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skein-suite-'));
    try {
      await writeFile(join(dir, 'golden.json'), JSON.stringify({ examples: [example] }));
      await writeFile(join(dir, 'rows.jsonl'), '{"x": [1, 2]}\n\n{"x": [3, 4]}\n');
      await writeFile(join(dir, 'base.yaml'), 'baseline: [0.1, 0.2]\n');
      await writeFile(join(dir, 'suite.yaml'), [
        'model: m', 'functional:', '  examples: golden.json', 'statistical:', '  data: rows.jsonl',
        '  outputs:', '    - {name: y, kind: score, baseline: base.yaml}', ''].join('\n'));
      const s = await loadSuite(join(dir, 'suite.yaml'));
      assert.equal(s.model, 'm');
      assert.equal(s.functional!.examples.length, 1);
      assert.equal(s.functional!.tolerance, 1e-4);
      assert.deepEqual(s.statistical!.data, [{ x: [1, 2] }, { x: [3, 4] }]);
      assert.deepEqual(s.statistical!.outputs[0]!.baseline, [0.1, 0.2]);
      assert.equal(s.statistical!.outputs[0]!.ksMinPValue, 0.01);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a missing or unparsable referenced file is an INVALID_CONFIG naming the key, without the path', async () => {
    await rejects({ functional: { examples: 'nope.json' } }, /^functional.examples: cannot read the file/);
    const dir = await mkdtemp(join(tmpdir(), 'skein-suite-'));
    try {
      await writeFile(join(dir, 'bad.json'), '{');
      await assert.rejects(parseSuite({ functional: { examples: 'bad.json' } }, dir), /not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a score output needs a list baseline; a class output takes shares per class', async () => {
    const data = [{ x: [1] }];
    await rejects({ statistical: { data, outputs: [{ name: 'y', kind: 'score', baseline: { a: 1 } }] } }, /score output needs a list/);
    const s = await parseSuite({ statistical: { data, outputs: [{ name: 'c', kind: 'class', baseline: { a: 0.5, b: 0.5 } }] } }, '.');
    assert.deepEqual(s.statistical!.outputs[0]!.baseline, { a: 0.5, b: 0.5 });
  });
});
