import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGraphBuilder } from '../../src/builder/index.js';
import { addModel, twoInOutModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo, type TestServer, until } from '../helpers/server.js';

const yOf = async (server: TestServer, path: string) => (await postJson(`${server.url}${path}`, fp32Rows([[0, 0, 0, 0]]))).body;

describe('versions, labels and requested outputs', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    const config = 'versionPolicy: { all: true }\nlabels: { stable: 1, canary: 2, future: 9 }\n';
    for (const v of [1, 2, 3]) await writeModel(repo, 'm', v, addModel(v * 10), config);
    await writeModel(repo, 'two', 1, twoInOutModel());
    // Reshape to [2,2] works for one row and fails at run time for more: a runtime error, not bad input.
    const failing = createGraphBuilder({ name: 'fails' })
      .input('x', 'FP32', ['batch', 4])
      .initializer('shape', 'INT64', [2], [2, 2])
      .initializer('back', 'INT64', [2], [1, 4])
      .node('Reshape', ['x', 'shape'], ['r'])
      .node('Reshape', ['r', 'back'], ['y'])
      .output('y', 'FP32', ['batch', 4])
      .toBytes();
    await writeModel(repo, 'fails', 1, failing, 'maxBatchSize: 0\n');
    server = await startTestServer(repo, { modelControlMode: 'poll', repositoryPollIntervalMs: 50 });
  });
  after(() => server.close());

  test('no version means the highest ready one; a number or a label picks that version', async () => {
    assert.equal((await yOf(server, '/v2/models/m/infer')).model_version, '3');
    const v1 = await yOf(server, '/v2/models/m/versions/1/infer');
    assert.equal(v1.model_version, '1');
    assert.deepEqual(v1.outputs[0].data, [10, 10, 10, 10]);
    assert.equal((await yOf(server, '/v2/models/m/versions/stable/infer')).model_version, '1');
    assert.equal((await yOf(server, '/v2/models/m/versions/canary/infer')).model_version, '2');
    const meta = await getJson(`${server.url}/v2/models/m`);
    assert.deepEqual(meta.body.versions, ['1', '2', '3']);
  });

  test('a label pointing at a version that is not loaded answers VERSION_NOT_FOUND naming it', async () => {
    const r = await postJson(`${server.url}/v2/models/m/versions/future/infer`, fp32Rows([[0, 0, 0, 0]]));
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 'VERSION_NOT_FOUND');
    assert.match(r.body.error, /9/);
  });

  test('moving a label in config.yaml takes effect on the next poll', async () => {
    await writeFile(join(server.repo, 'm', 'config.yaml'), 'versionPolicy: { all: true }\nlabels: { stable: 3, canary: 2 }\n');
    await until('stable → 3', async () => (await yOf(server, '/v2/models/m/versions/stable/infer')).model_version === '3');
  });

  test('a config.yaml with an unknown key is refused and the model keeps serving with its old config', async () => {
    await writeFile(join(server.repo, 'm', 'config.yaml'), 'versionPolicy: { all: true }\nlabel: { stable: 1 }\n');
    await until('config error in the index', async () => {
      const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { name: string; reason: string }[];
      return index.some((e) => e.name === 'm' && /unknown key 'label'/.test(e.reason));
    });
    assert.equal((await yOf(server, '/v2/models/m/versions/stable/infer')).model_version, '3');
  });

  test('requested outputs return only those outputs; an unknown one is UNKNOWN_OUTPUT', async () => {
    const body = {
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 5, 2, 9, 0, 1] },
        { name: 'b', datatype: 'INT64', shape: [2, 1], data: [1, 2] },
      ],
    };
    const r = await postJson(`${server.url}/v2/models/two/infer`, { ...body, outputs: [{ name: 'idx' }] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.outputs, [{ name: 'idx', datatype: 'INT64', shape: [2], data: [1, 0] }]);
    const all = await postJson(`${server.url}/v2/models/two/infer`, body);
    assert.deepEqual(all.body.outputs.map((o: { name: string }) => o.name), ['sum', 'idx']);
    assert.deepEqual(all.body.outputs[0].data, [2, 6, 3, 11, 2, 3]);
    const bad = await postJson(`${server.url}/v2/models/two/infer`, { ...body, outputs: [{ name: 'nope' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'UNKNOWN_OUTPUT');
  });

  test('a model that fails at run time answers 500 INFERENCE_FAILED and the server keeps serving', async () => {
    const ok = await postJson(`${server.url}/v2/models/fails/infer`, fp32Rows([[1, 2, 3, 4]]));
    assert.equal(ok.status, 200);
    const bad = await postJson(`${server.url}/v2/models/fails/infer`, fp32Rows([[1, 2, 3, 4], [5, 6, 7, 8]]));
    assert.equal(bad.status, 500);
    assert.equal(bad.body.code, 'INFERENCE_FAILED');
    assert.ok(!/Reshape|onnx/i.test(bad.body.error), 'runtime internals stay in the log');
    assert.equal((await postJson(`${server.url}/v2/models/fails/infer`, fp32Rows([[1, 2, 3, 4]]))).status, 200);
    assert.equal((await yOf(server, '/v2/models/m/versions/1/infer')).model_version, '1');
  });
});

describe('resource-preserving swaps', () => {
  test('the old version is unloaded before the new one loads, and the new one then serves', async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'm', 1, addModel(1));
    const server = await startTestServer(repo, { modelControlMode: 'poll', repositoryPollIntervalMs: 50, versionSwap: 'resource' });
    try {
      await writeModel(repo, 'm', 2, addModel(2));
      await until('version 2 serves', async () => (await yOf(server, '/v2/models/m/infer')).model_version === '2');
      const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { version: string; state: string }[];
      assert.deepEqual(index.map((e) => `${e.version}:${e.state}`), ['2:READY']);
    } finally {
      await server.close();
    }
  });
});
