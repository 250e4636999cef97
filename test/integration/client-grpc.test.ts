import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createGrpcClient, createRestClient, InferenceClientError, type InferenceClient, type InputTensor } from '../../src/index.js';
import { generateApiKey } from '../../src/auth/index.js';
import type { DataType } from '../../src/tensor/index.js';
import { addModel, identityModel, RUNTIME_DATATYPES, slowModel, twoInOutModel, writeModel } from '../helpers/models.js';
import { getJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const FIXTURES = new URL('../fixtures/pytorch/', import.meta.url);
const S = { OK: 0, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAUTHENTICATED: 16 };

/** Four values per datatype, each set reaching the datatype's extremes. */
const SAMPLES: Record<Exclude<DataType, 'BF16'>, InputTensor['data']> = {
  BOOL: Uint8Array.from([1, 0, 0, 1]),
  UINT8: Uint8Array.from([0, 1, 254, 255]),
  UINT16: Uint16Array.from([0, 1, 65_534, 65_535]),
  UINT32: Uint32Array.from([0, 1, 2 ** 32 - 2, 2 ** 32 - 1]),
  UINT64: BigUint64Array.from([0n, 2n ** 53n + 1n, 2n ** 64n - 2n, 2n ** 64n - 1n]),
  INT8: Int8Array.from([-128, -1, 0, 127]),
  INT16: Int16Array.from([-32_768, -1, 0, 32_767]),
  INT32: Int32Array.from([-(2 ** 31), -1, 0, 2 ** 31 - 1]),
  INT64: BigInt64Array.from([-(2n ** 63n), -(2n ** 53n + 1n), 2n ** 53n + 1n, 2n ** 63n - 1n]),
  FP16: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x7c00]),
  FP32: Float32Array.from([-0, 1.5, -3.4028234663852886e38, Number.POSITIVE_INFINITY]),
  FP64: Float64Array.from([-0, Number.MIN_VALUE, -Number.MAX_VALUE, Number.NaN]),
  BYTES: ['', 'héllo', '🧶 yarn', 'tab\tand\nnewline'],
};

const idModel = (dt: DataType) => `id_${dt.toLowerCase()}`;

async function rejection(promise: Promise<unknown>): Promise<InferenceClientError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof InferenceClientError, `expected an InferenceClientError, got ${String(err)}`);
    return err;
  }
  throw new Error('the call succeeded but a failure was expected');
}

describe('the typed gRPC client against a real Skein', () => {
  let server: TestServer;
  let client: InferenceClient;
  before(async () => {
    const repo = await tempRepo();
    for (const dt of RUNTIME_DATATYPES) await writeModel(repo, idModel(dt), 1, identityModel(dt));
    await writeModel(repo, 'two', 1, twoInOutModel());
    await writeModel(repo, 'wine', 1, await readFile(new URL('wine_two_inputs.onnx', FIXTURES)));
    await writeModel(repo, 'slow', 1, slowModel(40), 'maxBatchSize: 1\nruntime:\n  instances: 1\n');
    server = await startTestServer(repo);
    client = createGrpcClient({ address: `127.0.0.1:${server.grpcPort}` });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  test('health, readiness and metadata come from the RPCs and match the REST answers', async () => {
    assert.equal(await client.serverLive(), true);
    assert.equal(await client.serverReady(), true);
    assert.equal(await client.modelReady('two'), true);
    assert.equal(await client.modelReady('two', '1'), true);
    assert.equal(await client.modelReady('nope'), false);
    assert.deepEqual(await client.serverMetadata(), (await getJson(`${server.url}/v2`)).body);
    assert.deepEqual(await client.modelMetadata('two'), (await getJson(`${server.url}/v2/models/two`)).body);
  });

  for (const dt of RUNTIME_DATATYPES) {
    test(`${dt} values round-trip unchanged through an identity model`, async () => {
      const data = SAMPLES[dt as keyof typeof SAMPLES];
      const r = await client.infer(idModel(dt), { inputs: [{ name: 'x', datatype: dt, shape: [1, 4], data }] });
      assert.equal(r.model_name, idModel(dt));
      assert.equal(r.model_version, '1');
      assert.equal(r.outputs.length, 1);
      assert.deepEqual({ ...r.outputs[0]! }, { name: 'y', datatype: dt, shape: [1, 4], data });
    });
  }

  test('INT64 values beyond 2^53 come back exact, whether sent as a BigInt64Array or a bigint list', async () => {
    const values = [2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 62n + 7n, 9_007_199_254_740_993n];
    for (const data of [BigInt64Array.from(values), values]) {
      const r = await client.infer('id_int64', { inputs: [{ name: 'x', datatype: 'INT64', shape: [1, 4], data }] });
      assert.deepEqual(Array.from(r.outputs[0]!.data as BigInt64Array), values);
    }
  });

  test('sends the id, version, requested outputs and parameters, and reads back two outputs of different ranks', async () => {
    const r = await client.infer('two', {
      id: 'q1',
      version: '1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 5, 2, 9, 0, 1] },
        { name: 'b', datatype: 'INT64', shape: [2, 1], data: [1n, 2n] },
      ],
      outputs: ['idx'],
      parameters: { note: 'x', flag: true, n: 3, ratio: 0.5 },
    });
    assert.equal(r.id, 'q1');
    assert.deepEqual(r.outputs.map((o) => [o.name, o.shape]), [['idx', [2]]]);
    assert.deepEqual(r.outputs[0]!.data, BigInt64Array.from([1n, 0n]));
  });

  test('the PyTorch wine fixture answers exactly what the REST client answers, in JSON and binary', async () => {
    const fixture = JSON.parse(await readFile(new URL('wine_two_inputs.json', FIXTURES), 'utf8'));
    const { num, flag } = fixture.inputs;
    const inputs: InputTensor[] = [
      { name: 'num', datatype: 'FP32', shape: num.shape, data: num.data },
      { name: 'flag', datatype: 'BOOL', shape: flag.shape, data: flag.data },
    ];
    const viaGrpc = await client.infer('wine', { inputs });
    for (const encoding of ['json', 'binary'] as const) {
      const rest = createRestClient({ url: server.url, encoding });
      assert.deepEqual(viaGrpc, await rest.infer('wine', { inputs }), encoding);
    }
    const classId = viaGrpc.outputs.find((o) => o.name === 'class_id')!;
    assert.deepEqual(Array.from(classId.data as BigInt64Array, Number), fixture.outputs.class_id.data);
  });

  test('an unknown model rejects with NOT_FOUND (5) and MODEL_NOT_FOUND, for infer and metadata', async () => {
    const x: InputTensor = { name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
    for (const call of [client.infer('nope', { inputs: [x] }), client.modelMetadata('nope')]) {
      const err = await rejection(call);
      assert.deepEqual([err.status, err.code], [S.NOT_FOUND, 'MODEL_NOT_FOUND']);
    }
  });

  test('a shape the model does not accept rejects with INVALID_ARGUMENT (3) and INVALID_SHAPE', async () => {
    const err = await rejection(client.infer('id_fp32', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }));
    assert.deepEqual([err.status, err.code], [S.INVALID_ARGUMENT, 'INVALID_SHAPE']);
    assert.match(err.message, /'x'/);
  });

  test('a reply tensor of maxTensorElements decodes; one past it rejects with INTERNAL (13) and TOO_MANY_ELEMENTS', async () => {
    const small = createGrpcClient({ address: `127.0.0.1:${server.grpcPort}`, maxTensorElements: 8 });
    const rows = (n: number): InputTensor => ({ name: 'x', datatype: 'FP32', shape: [n, 4], data: new Float32Array(n * 4) });
    assert.deepEqual((await small.infer('id_fp32', { inputs: [rows(2)] })).outputs[0]!.shape, [2, 4]);
    const err = await rejection(small.infer('id_fp32', { inputs: [rows(3)] }));
    assert.deepEqual([err.status, err.code], [13, 'TOO_MANY_ELEMENTS']);
    assert.match(err.message, /output 'y'/);
    await small.close();
  });

  test('a message over maxMessageBytes rejects with RESOURCE_EXHAUSTED (8), sent or received', async () => {
    const small = createGrpcClient({ address: `127.0.0.1:${server.grpcPort}`, maxMessageBytes: 1024 });
    const x = (n: number): InputTensor => ({ name: 'x', datatype: 'FP32', shape: [n, 4], data: new Float32Array(n * 4) });
    // 32 rows are 512 bytes of data each way, under the limit; 128 rows (2 KiB) are over it.
    assert.equal((await small.infer('id_fp32', { inputs: [x(32)] })).outputs[0]!.data.length, 128);
    assert.equal((await rejection(small.infer('id_fp32', { inputs: [x(128)] }))).status, 8);
    // A tiny request whose reply is over the limit: the client refuses to receive it.
    const tiny = createGrpcClient({ address: `127.0.0.1:${server.grpcPort}`, maxMessageBytes: 32 });
    assert.equal(await tiny.serverLive(), true);
    assert.equal((await rejection(tiny.modelMetadata('two'))).status, 8);
    await Promise.all([small.close(), tiny.close()]);
  });

  test('a client deadline shorter than the queue wait rejects with DEADLINE_EXCEEDED (4) and the request never runs', async () => {
    const count = async () => (await getJson(`${server.url}/v2/models/slow/stats`)).body.model_stats[0].inference_count as number;
    const before = await count();
    const x: InputTensor = { name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
    // One instance, maxBatchSize 1: each request waits for the runs queued ahead of it (~0.1 s each).
    const ahead = [1, 2, 3].map(() => client.infer('slow', { inputs: [x] }));
    const late = await rejection(client.infer('slow', { inputs: [x], timeoutMs: 50 }));
    assert.equal(late.status, S.DEADLINE_EXCEEDED);
    await Promise.all(ahead);
    // FIFO: had the late request run, it would have run before this one.
    await client.infer('slow', { inputs: [x] });
    assert.equal(await count(), before + 4);
  });
});

describe('the gRPC client with auth enabled', () => {
  const { key, sha256 } = generateApiKey();
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'add', 1, addModel(1));
    server = await startTestServer(repo, { auth: { enabled: true, apiKeys: [{ id: 'k', sha256, scopes: ['infer:*'] }] } });
  });
  after(() => server.close());

  const x: InputTensor = { name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
  const connect = (metadata?: Record<string, string>) =>
    createGrpcClient({ address: `127.0.0.1:${server.grpcPort}`, ...(metadata ? { metadata } : {}) });

  test('a call without the key rejects with UNAUTHENTICATED (16); health needs none', async () => {
    const client = connect();
    const err = await rejection(client.infer('add', { inputs: [x] }));
    assert.deepEqual([err.status, err.code], [S.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    assert.equal(await client.serverLive(), true);
    await client.close();
  });

  for (const metadata of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }] as Record<string, string>[]) {
    test(`the ${Object.keys(metadata)[0]} metadata reaches the server and the call succeeds`, async () => {
      const client = connect(metadata);
      const r = await client.infer('add', { inputs: [x] });
      assert.deepEqual(r.outputs[0]!.data, Float32Array.from([2, 3, 4, 5]));
      await client.close();
    });
  }
});

/**
 * A KServe-style server (answers typed contents, never raw) built from the package's proto with
 * grpc-js directly: the client must read typed replies too.
 */
describe('the gRPC client against a server that answers typed contents', () => {
  let server: grpc.Server;
  let client: InferenceClient;
  const seen: unknown[] = [];
  before(async () => {
    const proto = fileURLToPath(new URL('../../proto/grpc_service.proto', import.meta.url));
    const root = grpc.loadPackageDefinition(protoLoader.loadSync(proto, { keepCase: true, longs: String })) as any;
    server = new grpc.Server();
    server.addService(root.inference.GRPCInferenceService.service, {
      ModelInfer(call: grpc.ServerUnaryCall<any, unknown>, callback: grpc.sendUnaryData<unknown>) {
        seen.push(call.request);
        callback(null, {
          model_name: call.request.model_name, model_version: '3', id: call.request.id,
          parameters: { big: { int64_param: '42' }, label: { string_param: 'v' } },
          outputs: [
            { name: 'i', datatype: 'INT64', shape: [2], contents: { int64_contents: ['9007199254740993', '-9223372036854775808'] } },
            { name: 'b', datatype: 'BOOL', shape: [1, 2], contents: { bool_contents: [true, false] } },
            { name: 's', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from('héllo'), Buffer.from('')] } },
            { name: 'f', datatype: 'FP32', shape: [2], contents: { fp32_contents: [0.5, -2] } },
          ],
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    client = createGrpcClient({ address: `127.0.0.1:${port}` });
  });
  after(async () => {
    await client.close();
    server.forceShutdown();
  });

  test('typed outputs decode into the same tensors raw ones would, INT64 exact', async () => {
    const r = await client.infer('m', { id: 'r1', inputs: [{ name: 'q', datatype: 'BYTES', shape: [1], data: ['ab'] }] });
    assert.deepEqual(r, {
      model_name: 'm', model_version: '3', id: 'r1', parameters: { big: 42, label: 'v' },
      outputs: [
        { name: 'i', datatype: 'INT64', shape: [2], data: BigInt64Array.from([2n ** 53n + 1n, -(2n ** 63n)]) },
        { name: 'b', datatype: 'BOOL', shape: [1, 2], data: Uint8Array.from([1, 0]) },
        { name: 's', datatype: 'BYTES', shape: [2], data: ['héllo', ''] },
        { name: 'f', datatype: 'FP32', shape: [2], data: Float32Array.from([0.5, -2]) },
      ],
    });
    // BYTES inputs travel raw, each element behind a u32 little-endian length.
    const request = seen[0] as { raw_input_contents: Buffer[]; inputs: { contents?: unknown }[] };
    assert.deepEqual(request.raw_input_contents, [Buffer.from([2, 0, 0, 0, 0x61, 0x62])]);
  });
});
