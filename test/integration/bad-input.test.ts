import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { twoInOutModel, writeModel } from '../helpers/models.js';
import { getJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/** RELIABILITY.md scenario 8: every malformed input gets its coded 4xx and the server keeps serving. */
const valid = {
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
    { name: 'b', datatype: 'INT64', shape: [1, 1], data: [1] },
  ],
};
const a = (over: Record<string, unknown>) => ({ inputs: [{ ...valid.inputs[0], ...over }, valid.inputs[1]] });

interface Case {
  name: string;
  path?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const deep = `{"inputs":${'['.repeat(100)}${']'.repeat(100)}}`;
const header = JSON.stringify({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }, valid.inputs[1]] });

const CASES: Case[] = [
  { name: 'malformed JSON', body: '{"inputs": [', status: 400, code: 'INVALID_JSON' },
  { name: 'JSON nested past the depth limit', body: deep, status: 400, code: 'JSON_TOO_DEEP' },
  { name: 'a body one byte over --max-body-bytes', body: 'x'.repeat(64 * 1024 + 1), status: 413, code: 'BODY_TOO_LARGE' },
  { name: 'an unknown model', path: '/v2/models/nope/infer', body: JSON.stringify(valid), status: 404, code: 'MODEL_NOT_FOUND' },
  { name: 'an unknown version', path: '/v2/models/m/versions/9/infer', body: JSON.stringify(valid), status: 404, code: 'VERSION_NOT_FOUND' },
  { name: 'an unknown label', path: '/v2/models/m/versions/canary/infer', body: JSON.stringify(valid), status: 404, code: 'VERSION_NOT_FOUND' },
  { name: 'an unknown input', body: JSON.stringify({ inputs: [...valid.inputs, { name: 'c', datatype: 'FP32', shape: [1], data: [1] }] }), status: 400, code: 'UNKNOWN_INPUT' },
  { name: 'a missing input', body: JSON.stringify({ inputs: [valid.inputs[0]] }), status: 400, code: 'MISSING_INPUT' },
  { name: 'a duplicate input', body: JSON.stringify({ inputs: [valid.inputs[0], valid.inputs[0], valid.inputs[1]] }), status: 400, code: 'DUPLICATE_INPUT' },
  { name: 'a wrong datatype', body: JSON.stringify(a({ datatype: 'FP64' })), status: 400, code: 'INVALID_DATATYPE' },
  { name: 'an unknown datatype', body: JSON.stringify(a({ datatype: 'FLOAT' })), status: 400, code: 'INVALID_DATATYPE' },
  { name: 'a negative dimension', body: JSON.stringify(a({ shape: [-1, 3] })), status: 400, code: 'INVALID_SHAPE' },
  { name: 'a non-integer dimension', body: JSON.stringify(a({ shape: [1.5, 3] })), status: 400, code: 'INVALID_SHAPE' },
  { name: 'a shape that does not fit the signature', body: JSON.stringify(a({ shape: [1, 4], data: [1, 2, 3, 4] })), status: 400, code: 'INVALID_SHAPE' },
  { name: 'an element count over the limit', body: JSON.stringify(a({ shape: [1000, 1000] })), status: 400, code: 'TOO_MANY_ELEMENTS' },
  { name: 'data shorter than the shape', body: JSON.stringify(a({ data: [1, 2] })), status: 400, code: 'DATA_LENGTH_MISMATCH' },
  { name: 'a string where a number belongs', body: JSON.stringify(a({ data: [1, 'two', 3] })), status: 400, code: 'INVALID_DATA' },
  { name: 'an integer out of its type’s range', body: JSON.stringify({ inputs: [valid.inputs[0], { ...valid.inputs[1], data: [2 ** 60] }] }), status: 400, code: 'VALUE_OUT_OF_RANGE' },
  { name: 'a negative binary header length', body: header, headers: { 'inference-header-content-length': '-1' }, status: 400, code: 'INVALID_BINARY_HEADER' },
  { name: 'a non-numeric binary header length', body: header, headers: { 'inference-header-content-length': 'abc' }, status: 400, code: 'INVALID_BINARY_HEADER' },
  { name: 'a binary header length longer than the body', body: header, headers: { 'inference-header-content-length': String(header.length + 1) }, status: 400, code: 'INVALID_BINARY_HEADER' },
  { name: 'binary bytes that do not match shape × element size', body: Buffer.concat([Buffer.from(header), Buffer.alloc(8)]), headers: { 'inference-header-content-length': String(header.length) }, status: 400, code: 'BINARY_SIZE_MISMATCH' },
  { name: 'a model name with ..', path: '/v2/models/..m/infer', body: JSON.stringify(valid), status: 400, code: 'INVALID_MODEL_NAME' },
  { name: 'a model name with an encoded /', path: '/v2/models/a%2Fb/infer', body: JSON.stringify(valid), status: 400, code: 'INVALID_MODEL_NAME' },
  { name: 'a model name with an encoded NUL', path: '/v2/models/m%00/infer', body: JSON.stringify(valid), status: 400, code: 'INVALID_MODEL_NAME' },
  // WHATWG URLs (fetch) treat %2e%2e as a dot segment and remove it: the server sees /v2/models/infer.
  { name: 'a model name of encoded dots', path: '/v2/models/%2e%2e/infer', body: JSON.stringify(valid), status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'a model name of double-encoded dots', path: '/v2/models/%252e%252e/infer', body: JSON.stringify(valid), status: 400, code: 'INVALID_MODEL_NAME' },
];

describe('bad input against a real model: a coded 4xx each, and the server keeps serving', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'm', 1, twoInOutModel());
    server = await startTestServer(repo, { maxBodyBytes: 64 * 1024, maxTensorElements: 100_000 });
  });
  after(() => server.close());

  for (const c of CASES) {
    test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await fetch(`${server.url}${c.path ?? '/v2/models/m/infer'}`, { method: 'POST', body: c.body, headers: c.headers ?? {} });
      const body = (await res.json()) as { error: string; code: string };
      assert.equal(res.status, c.status, JSON.stringify(body));
      assert.equal(body.code, c.code);
      assert.equal(typeof body.error, 'string');
      assert.ok(body.error.length > 0);
      assert.ok(!body.error.includes(server.repo), 'no file paths in messages');
      const ok = await fetch(`${server.url}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(valid) });
      assert.equal(ok.status, 200);
      const out = (await ok.json()) as { outputs: { name: string; data: number[] }[] };
      assert.deepEqual(out.outputs.find((o) => o.name === 'sum')!.data, [2, 3, 4]);
      assert.equal((await getJson(`${server.url}/v2/health/live`)).status, 200);
    });
  }

  test('raw paths a browser would normalise (.., %2e%2e, %00) never reach the repository', async () => {
    for (const path of ['/v2/models/../infer', '/v2/models/%2e%2e/infer', '/v2/models/%2E%2E%2Fetc/infer', '/v2/models/m%00/ready']) {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.httpPort, path, method: path.endsWith('infer') ? 'POST' : 'GET' }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(path.endsWith('infer') ? JSON.stringify(valid) : undefined);
      });
      assert.ok(status === 400 || status === 404, `${path}: ${status}`);
      assert.ok(['INVALID_MODEL_NAME', 'ROUTE_NOT_FOUND'].includes(JSON.parse(body).code), `${path}: ${body}`);
    }
  });

  test('a message names the expected and received shape, never the data', async () => {
    const res = await fetch(`${server.url}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(a({ shape: [1, 4], data: [1234567, 2, 3, 4] })) });
    const body = (await res.json()) as { error: string };
    assert.match(body.error, /\[-1,3\]/);
    assert.match(body.error, /\[1,4\]/);
    assert.ok(!body.error.includes('1234567'));
  });
});
