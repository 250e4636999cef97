import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { writeModel } from '../helpers/models.js';
import { getJson, postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/** Models exported by PyTorch (not by us) must serve with no config and answer what PyTorch computed. */
const FIXTURES = new URL('../fixtures/pytorch/', import.meta.url);
type Case = { inputs: Record<string, { datatype: string; shape: number[]; data: number[] }>; outputs: Record<string, { datatype: string; shape: number[]; data: number[] }> };

async function cases(name: string): Promise<Case[]> {
  const raw = JSON.parse(await readFile(new URL(`${name}.json`, FIXTURES), 'utf8'));
  return raw.cases ?? [raw];
}

function body(c: Case) {
  return { inputs: Object.entries(c.inputs).map(([name, t]) => ({ name, ...t })) };
}

function assertClose(actual: number[], expected: number[], tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('models exported by PyTorch serve with no config', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    for (const m of ['iris_mlp', 'wine_two_inputs', 'iris_fixed_batch1', 'token_bag']) {
      await writeModel(repo, m, 1, await readFile(new URL(`${m}.onnx`, FIXTURES)));
    }
    server = await startTestServer(repo);
  });
  after(() => server.close());

  test('metadata derives inputs, outputs, datatypes and the dynamic batch axis from the file', async () => {
    const r = await getJson(`${server.url}/v2/models/wine_two_inputs`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.inputs, [
      { name: 'num', datatype: 'FP32', shape: [-1, 13] },
      { name: 'flag', datatype: 'BOOL', shape: [-1, 1] },
    ]);
    assert.deepEqual(r.body.outputs, [
      { name: 'class_id', datatype: 'INT64', shape: [-1] },
      { name: 'logits', datatype: 'FP32', shape: [-1, 3] },
    ]);
    assert.equal(r.body.platform, 'onnxruntime_onnx');
  });

  for (const model of ['iris_mlp', 'wine_two_inputs', 'iris_fixed_batch1', 'token_bag']) {
    test(`${model} answers what PyTorch computed`, async () => {
      for (const c of await cases(model)) {
        const r = await postJson(`${server.url}/v2/models/${model}/infer`, body(c));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.model_name, model);
        assert.equal(r.body.model_version, '1');
        for (const [name, expected] of Object.entries(c.outputs)) {
          const out = r.body.outputs.find((o: { name: string }) => o.name === name);
          assert.ok(out, `output ${name}`);
          assert.equal(out.datatype, expected.datatype);
          assert.deepEqual(out.shape, expected.shape);
          assertClose(out.data, expected.data, 1e-5, `${model}.${name}`);
        }
      }
    });
  }

  test('a model with a fixed first dimension runs unbatched and reports maxBatchSize 0', async () => {
    const r = await getJson(`${server.url}/v2/models/iris_fixed_batch1/config`);
    assert.equal(r.body.maxBatchSize, 0);
    const bad = await postJson(`${server.url}/v2/models/iris_fixed_batch1/infer`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'INVALID_SHAPE');
  });

  test('concurrent token_bag requests with different sequence lengths are never stacked together', async () => {
    const all = await cases('token_bag');
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => all[i % all.length]!).map(async (c) => ({ c, r: await postJson(`${server.url}/v2/models/token_bag/infer`, body(c)) })));
    for (const { c, r } of replies) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assertClose(r.body.outputs[0].data, c.outputs.logits!.data, 1e-5, 'logits');
    }
  });
});
