import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIME_DATATYPES, identityModel, writeModel } from '../helpers/models.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';
import { decodeBinaryTensor, encodeBinaryTensor, type DataType, type Tensor } from '../../src/tensor/index.js';

/** Eight sample values per datatype, including each type's extremes. */
function sample(dt: DataType): Tensor['data'] {
  switch (dt) {
    case 'BOOL': return Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0]);
    case 'UINT8': return Uint8Array.from([0, 1, 2, 127, 128, 200, 254, 255]);
    case 'INT8': return Int8Array.from([-128, -1, 0, 1, 2, 100, 126, 127]);
    case 'UINT16': return Uint16Array.from([0, 1, 2, 300, 32768, 40000, 65534, 65535]);
    case 'INT16': return Int16Array.from([-32768, -1, 0, 1, 2, 300, 32766, 32767]);
    case 'UINT32': return Uint32Array.from([0, 1, 2, 70000, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1, 5]);
    case 'INT32': return Int32Array.from([-(2 ** 31), -1, 0, 1, 2, 70000, 2 ** 31 - 2, 2 ** 31 - 1]);
    case 'UINT64': return BigUint64Array.from([0n, 1n, 2n, 2n ** 40n, 2n ** 53n - 1n, 7n, 8n, 9n]);
    case 'INT64': return BigInt64Array.from([-(2n ** 53n) + 1n, -1n, 0n, 1n, 2n, 2n ** 40n, 2n ** 53n - 1n, 9n]);
    case 'FP16': return Uint16Array.from([0x3c00, 0xbc00, 0x0000, 0x7bff, 0x0001, 0x4000, 0xc000, 0x3555]);
    case 'FP32': return Float32Array.from([-1.5, 0, 1e-30, 3.25, 1e30, -7, 0.1, 42]);
    case 'FP64': return Float64Array.from([-1.5, 0, 1e-300, 3.25, 1e300, -7, 0.1, 42]);
    case 'BYTES': return ['cable needles', '', 'merino 🧶', 'ä', 'x', 'yarn', 'a b', 'z'];
    case 'BF16': return Uint16Array.from([0x3f80, 0, 0, 0, 0, 0, 0, 0]);
  }
}

function toJsonValues(dt: DataType, data: Tensor['data']): unknown[] {
  if (dt === 'BOOL') return Array.from(data as Uint8Array, (v) => v === 1);
  if (Array.isArray(data)) return data;
  return Array.from(data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
}

function binaryRequest(dt: DataType, data: Tensor['data']): { body: Buffer; headerLength: number } {
  const bytes = encodeBinaryTensor({ name: 'x', datatype: dt, shape: [2, 4], data });
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', datatype: dt, shape: [2, 4], parameters: { binary_data_size: bytes.byteLength } }],
    parameters: { binary_data_output: true },
  }));
  return { body: Buffer.concat([header, bytes]), headerLength: header.byteLength };
}

// Tiny models run inline on the main thread when idle (runtime.inlineMaxUs); the same suite runs
// with inline off so the worker-thread path carries every datatype too.
for (const [mode, config] of [['inline when idle', undefined], ['worker threads only', 'runtime: { inlineMaxUs: 0 }\n']] as const) describe(`every datatype onnxruntime supports round-trips through an identity model (${mode})`, () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    for (const dt of RUNTIME_DATATYPES) await writeModel(repo, `id_${dt.toLowerCase()}`, 1, identityModel(dt), config);
    server = await startTestServer(repo);
  });
  after(() => server.close());

  test(`the effective config reports whether the main-thread session is in use`, async () => {
    const r = await (await fetch(`${server.url}/v2/models/id_fp32/config`)).json() as { runtime: { inline: boolean } };
    assert.equal(r.runtime.inline, config === undefined);
  });

  for (const dt of RUNTIME_DATATYPES.filter((d) => d !== 'FP16')) {
    test(`${dt} round-trips as JSON, nested and flat`, async () => {
      const values = toJsonValues(dt, sample(dt));
      for (const data of [values, [values.slice(0, 4), values.slice(4)]]) {
        const r = await postJson(`${server.url}/v2/models/id_${dt.toLowerCase()}/infer`, {
          id: `req-${dt}`,
          inputs: [{ name: 'x', datatype: dt, shape: [2, 4], data }],
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.id, `req-${dt}`);
        assert.deepEqual(r.body.outputs, [{ name: 'y', datatype: dt, shape: [2, 4], data: values }]);
      }
    });
  }

  test('FP16 has no JSON form: a JSON FP16 input is rejected with INVALID_DATATYPE', async () => {
    const r = await postJson(`${server.url}/v2/models/id_fp16/infer`, { inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'INVALID_DATATYPE');
  });

  for (const dt of RUNTIME_DATATYPES) {
    test(`${dt} round-trips through the binary tensor extension in both directions`, async () => {
      const data = sample(dt);
      const { body, headerLength } = binaryRequest(dt, data);
      const res = await fetch(`${server.url}/v2/models/id_${dt.toLowerCase()}/infer`, {
        method: 'POST',
        body,
        headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      const raw = Buffer.from(await res.arrayBuffer());
      const jsonLength = Number(res.headers.get('inference-header-content-length'));
      const header = JSON.parse(raw.subarray(0, jsonLength).toString('utf8'));
      const out = header.outputs[0];
      assert.equal(out.datatype, dt);
      assert.deepEqual(out.shape, [2, 4]);
      assert.equal(out.data, undefined);
      const bytes = raw.subarray(jsonLength);
      assert.equal(out.parameters.binary_data_size, bytes.byteLength);
      const decoded = decodeBinaryTensor({ name: 'y', datatype: dt, shape: [2, 4] }, bytes, { maxTensorElements: 1000 });
      assert.deepEqual(Array.from(decoded.data as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>));
    });
  }

  test('a raw binary request (header length 0) is the single input, and the answer is binary', async () => {
    const data = Float32Array.from([1, 2, 3, 4]);
    const res = await fetch(`${server.url}/v2/models/id_fp32/infer`, {
      method: 'POST',
      body: Buffer.from(data.buffer),
      headers: { 'inference-header-content-length': '0' },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const raw = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const header = JSON.parse(raw.subarray(0, jsonLength).toString('utf8'));
    assert.deepEqual(header.outputs[0].shape, [1, 4]);
    assert.deepEqual(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset + jsonLength, raw.byteOffset + raw.byteLength))), [1, 2, 3, 4]);
  });
});
