import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRestClient, InferenceClientError } from '../../src/index.js';
import { identityModel, twoInOutModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

describe('the typed REST client', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'two', 1, twoInOutModel());
    await writeModel(repo, 'id_fp16', 1, identityModel('FP16'));
    await writeModel(repo, 'id_int64', 1, identityModel('INT64'));
    server = await startTestServer(repo);
  });
  after(() => server.close());

  for (const encoding of ['json', 'binary'] as const) {
    test(`infers with ${encoding} tensors and returns typed outputs`, async () => {
      const client = createRestClient({ url: server.url, encoding });
      assert.equal(await client.serverLive(), true);
      assert.equal(await client.serverReady(), true);
      assert.equal(await client.modelReady('two'), true);
      const meta = await client.modelMetadata('two');
      assert.deepEqual(meta.inputs.map((i) => i.name), ['a', 'b']);
      const r = await client.infer('two', {
        id: 'q1',
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 5, 2, 9, 0, 1] },
          { name: 'b', datatype: 'INT64', shape: [2, 1], data: [1n, 2n] },
        ],
        outputs: ['idx'],
      });
      assert.equal(r.model_name, 'two');
      assert.equal(r.model_version, '1');
      assert.equal(r.id, 'q1');
      assert.equal(r.outputs.length, 1);
      assert.deepEqual(r.outputs[0]!.shape, [2]);
      assert.ok(r.outputs[0]!.data instanceof BigInt64Array);
      assert.deepEqual(Array.from(r.outputs[0]!.data as BigInt64Array), [1n, 0n]);
    });
  }

  test('binary mode carries FP16 and exact 64-bit integers that JSON cannot', async () => {
    const client = createRestClient({ url: server.url, encoding: 'binary' });
    const half = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]);
    const r = await client.infer('id_fp16', { inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 4], data: half }] });
    assert.deepEqual(Array.from(r.outputs[0]!.data as Uint16Array), Array.from(half));
    const big = BigInt64Array.from([2n ** 62n, -(2n ** 62n), 1n, 0n]);
    const r2 = await client.infer('id_int64', { inputs: [{ name: 'x', datatype: 'INT64', shape: [1, 4], data: big }] });
    assert.deepEqual(Array.from(r2.outputs[0]!.data as BigInt64Array), Array.from(big));
  });

  test('a failed call rejects with the HTTP status and the server’s error code', async () => {
    const client = createRestClient({ url: server.url });
    await assert.rejects(
      client.infer('nope', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }),
      (err: unknown) => err instanceof InferenceClientError && err.status === 404 && err.code === 'MODEL_NOT_FOUND',
    );
  });
});
