import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import type { Guard } from '../../../src/auth/index.js';
import { addModel, brokenModelBytes, slowModel, twoInOutModel, writeModel } from '../../../test/helpers/models.js';
import { getJson, postJson, startTestServer, tempRepo, type TestServer } from '../../../test/helpers/server.js';
import { createGrpcServer, loadGrpcDefinitions, type GrpcServer } from '../../../src/server/grpc/index.js';
import { allowAll, connectGrpc, failure, rawBytes, type TestClient } from '../../helpers/grpc-client.js';

const silent = pino({ level: 'silent' });
const LIMITS = { maxMessageBytes: 64 * 1024, maxTensorElements: 4096, maxInputs: 4 };
const FIXTURES = new URL('../../../test/fixtures/pytorch/', import.meta.url);
const S = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12, UNAVAILABLE: 14 };

async function startGrpc(server: TestServer, overrides: { guard?: Guard; modelControl?: boolean } = {}): Promise<{ grpc: GrpcServer; client: TestClient }> {
  const grpc = createGrpcServer({
    service: server.service, guard: overrides.guard ?? allowAll, logger: silent, limits: LIMITS, modelControl: overrides.modelControl ?? true,
  });
  const { port } = await grpc.listen(0);
  return { grpc, client: connectGrpc(port) };
}

const fp32Row = (values: number[]) => ({ name: 'x', datatype: 'FP32', shape: [1, values.length], contents: { fp32_contents: values } });

describe('the gRPC server answers every OIP RPC like the REST server', () => {
  let server: TestServer;
  let grpc: GrpcServer;
  let client: TestClient;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'two', 1, twoInOutModel());
    await writeModel(repo, 'add', 1, addModel(1));
    await writeModel(repo, 'slow', 1, slowModel(40), 'maxBatchSize: 1\nruntime:\n  instances: 1\n');
    await writeModel(repo, 'wine', 1, await readFile(new URL('wine_two_inputs.onnx', FIXTURES)));
    server = await startTestServer(repo, { modelControlMode: 'explicit', insecureModelControl: true, loadModels: ['*'] });
    ({ grpc, client } = await startGrpc(server));
  });
  after(async () => {
    client.close();
    await grpc.close();
    await server.close();
  });

  test('ServerLive, ServerReady and ModelReady report true for a serving model', async () => {
    assert.deepEqual(await client.call('ServerLive', {}), { live: true });
    assert.deepEqual(await client.call('ServerReady', {}), { ready: true });
    assert.deepEqual(await client.call('ModelReady', { name: 'add' }), { ready: true });
    assert.deepEqual(await client.call('ModelReady', { name: 'add', version: '1' }), { ready: true });
  });

  test('an unknown model is NOT_FOUND for ModelReady, ModelMetadata, ModelConfig and ModelInfer', async () => {
    for (const [method, request] of [
      ['ModelReady', { name: 'nope' }], ['ModelMetadata', { name: 'nope' }], ['ModelConfig', { name: 'nope' }],
      ['ModelInfer', { model_name: 'nope', inputs: [fp32Row([1, 2, 3, 4])] }],
    ] as const) {
      const f = await failure(client.call(method, request));
      assert.equal(f.code, S.NOT_FOUND, method);
      assert.equal(f.skeinCode, 'MODEL_NOT_FOUND', method);
    }
  });

  test('ServerMetadata and ModelMetadata carry what GET /v2 and GET /v2/models/{m} carry', async () => {
    const rest = await getJson(`${server.url}/v2`);
    assert.deepEqual(await client.call('ServerMetadata', {}), rest.body);
    const meta = await client.call('ModelMetadata', { name: 'two' });
    const restMeta = (await getJson(`${server.url}/v2/models/two`)).body;
    const asNumbers = (ts: { name: string; datatype: string; shape: string[] }[]) => ts.map((t) => ({ ...t, shape: t.shape.map(Number) }));
    assert.deepEqual(
      { name: meta.name, versions: meta.versions, platform: meta.platform, inputs: asNumbers(meta.inputs), outputs: asNumbers(meta.outputs) },
      restMeta,
    );
    assert.deepEqual(meta.inputs[0], { name: 'a', datatype: 'FP32', shape: ['-1', '3'] });
  });

  test('ModelConfig answers the effective config as JSON, the same document as GET /config', async () => {
    const reply = await client.call('ModelConfig', { name: 'slow' });
    const rest = await getJson(`${server.url}/v2/models/slow/config`);
    assert.deepEqual(JSON.parse(reply.config_json), rest.body);
    assert.equal(JSON.parse(reply.config_json).maxBatchSize, 1);
  });

  test('ModelStatistics counts a gRPC inference and matches GET /stats', async () => {
    await client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] });
    const reply = await client.call('ModelStatistics', { name: 'add' });
    const rest = (await getJson(`${server.url}/v2/models/add/stats`)).body;
    const [stats] = reply.model_stats;
    assert.equal(stats.name, 'add');
    assert.equal(stats.inference_count, String(rest.model_stats[0].inference_count));
    assert.ok(Number(stats.inference_count) >= 1);
    assert.equal(stats.inference_stats.success.count, String(rest.model_stats[0].inference_stats.success.count));
    const all = await client.call('ModelStatistics', {});
    assert.deepEqual(all.model_stats.map((s: { name: string }) => s.name).sort(), ['add', 'slow', 'two', 'wine']);
  });

  test('RepositoryIndex lists every version with Triton state names, and ready filters', async () => {
    const reply = await client.call('RepositoryIndex', {});
    const rest = await postJson(`${server.url}/v2/repository/index`, {});
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual(reply.models.sort(byName), rest.body.sort(byName));
    assert.ok(reply.models.every((m: { state: string }) => m.state === 'READY'));
    assert.equal((await client.call('RepositoryIndex', { ready: true })).models.length, 4);
  });

  test('RepositoryModelUnload and RepositoryModelLoad take a model out of service and back', async () => {
    assert.deepEqual(await client.call('RepositoryModelUnload', { model_name: 'add', parameters: { unload_dependents: { bool_param: true } } }), {});
    // In explicit mode an unloaded model leaves the repository's served set, as over REST.
    assert.equal((await failure(client.call('ModelReady', { name: 'add' }))).code, S.NOT_FOUND);
    assert.equal((await getJson(`${server.url}/v2/models/add/ready`)).status, 404);
    assert.equal((await failure(client.health('add'))).code, S.NOT_FOUND);
    assert.deepEqual(await client.call('RepositoryModelLoad', { model_name: 'add' }), {});
    assert.deepEqual(await client.call('ModelReady', { name: 'add' }), { ready: true });
    assert.deepEqual(await client.health('add'), { status: 'SERVING' });
  });

  test('a load with inline config or a named repository is refused as UNIMPLEMENTED', async () => {
    const withConfig = await failure(client.call('RepositoryModelLoad', { model_name: 'add', parameters: { config: { string_param: '{}' } } }));
    assert.deepEqual([withConfig.code, withConfig.skeinCode], [S.UNIMPLEMENTED, 'UNSUPPORTED']);
    const named = await failure(client.call('RepositoryIndex', { repository_name: 'other' }));
    assert.deepEqual([named.code, named.skeinCode], [S.UNIMPLEMENTED, 'UNSUPPORTED']);
  });

  test('ModelInfer with typed contents answers raw outputs with model, version and id', async () => {
    const reply = await client.call('ModelInfer', {
      model_name: 'two', model_version: '1', id: 'req-7',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 3], contents: { fp32_contents: [1, 5, 2, -1, -2, -3] } },
        { name: 'b', datatype: 'INT64', shape: [2, 1], contents: { int64_contents: ['10', '-20'] } },
      ],
    });
    assert.equal(reply.model_name, 'two');
    assert.equal(reply.model_version, '1');
    assert.equal(reply.id, 'req-7');
    assert.deepEqual(reply.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape]), [
      ['sum', 'FP32', ['2', '3']], ['idx', 'INT64', ['2']],
    ]);
    assert.ok(reply.outputs.every((o: { contents: unknown }) => o.contents === null), 'outputs carry no typed contents');
    assert.deepEqual(reply.raw_output_contents[0], rawBytes(Float32Array.from([11, 15, 12, -21, -22, -23])));
    assert.deepEqual(reply.raw_output_contents[1], rawBytes(BigInt64Array.from([1n, 0n])));
  });

  test('requested outputs select and order what comes back', async () => {
    const reply = await client.call('ModelInfer', {
      model_name: 'two',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [0, 9, 1] } },
        { name: 'b', datatype: 'INT64', shape: [1, 1], contents: { int64_contents: ['0'] } },
      ],
      outputs: [{ name: 'idx' }],
    });
    assert.deepEqual(reply.outputs.map((o: { name: string }) => o.name), ['idx']);
    assert.deepEqual(reply.raw_output_contents, [rawBytes(BigInt64Array.from([1n]))]);
    const unknown = await failure(client.call('ModelInfer', { model_name: 'two', inputs: [], outputs: [{ name: 'zz' }] }));
    assert.equal(unknown.code, S.INVALID_ARGUMENT);
  });

  test('request parameters of all five kinds are accepted; a parameter without a value or past 2^53 is INVALID_ARGUMENT', async () => {
    const parameters = {
      b: { bool_param: true }, i: { int64_param: '-5' }, s: { string_param: 'x' }, d: { double_param: 0.5 }, u: { uint64_param: '9007199254740991' },
    };
    const ok = await client.call('ModelInfer', { model_name: 'add', parameters, inputs: [fp32Row([1, 2, 3, 4])] });
    assert.deepEqual(ok.raw_output_contents[0], rawBytes(Float32Array.from([2, 3, 4, 5])));
    for (const bad of [{ empty: {} }, { big: { int64_param: '9007199254740992' } }, { big: { uint64_param: '18446744073709551615' } }]) {
      const f = await failure(client.call('ModelInfer', { model_name: 'add', parameters: bad, inputs: [fp32Row([1, 2, 3, 4])] }));
      assert.deepEqual([f.code, f.skeinCode], [S.INVALID_ARGUMENT, 'INVALID_REQUEST']);
    }
  });

  test('more inputs than maxInputs is INVALID_ARGUMENT; maxInputs itself reaches the model checks', async () => {
    const input = (name: string) => ({ name, datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } });
    const atBound = await failure(client.call('ModelInfer', { model_name: 'two', inputs: ['a', 'b', 'c', 'd'].map(input) }));
    assert.equal(atBound.code, S.INVALID_ARGUMENT);
    assert.notEqual(atBound.skeinCode, 'INVALID_REQUEST');
    const past = await failure(client.call('ModelInfer', { model_name: 'two', inputs: ['a', 'b', 'c', 'd', 'e'].map(input) }));
    assert.deepEqual([past.code, past.skeinCode], [S.INVALID_ARGUMENT, 'INVALID_REQUEST']);
    assert.match(past.details, /at most 4/);
  });

  test('a message of exactly maxMessageBytes is served; one byte more is RESOURCE_EXHAUSTED', async () => {
    const serialize = loadGrpcDefinitions().inference.ModelInfer!.requestSerialize;
    const request = (pad: number) => ({
      model_name: 'add', parameters: { pad: { string_param: 'p'.repeat(pad) } },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 4] }], raw_input_contents: [Buffer.alloc(64 * 4 * 4)],
    });
    let pad = 1000;
    // The pad's length prefix is a varint, so converge rather than compute in one step.
    while (serialize(request(pad)).length !== LIMITS.maxMessageBytes) pad += LIMITS.maxMessageBytes - serialize(request(pad)).length;
    assert.equal(serialize(request(pad)).length, LIMITS.maxMessageBytes);
    const ok = await client.call('ModelInfer', request(pad));
    assert.equal(ok.raw_output_contents[0].length, 64 * 4 * 4);
    assert.equal(serialize(request(pad + 1)).length, LIMITS.maxMessageBytes + 1);
    const f = await failure(client.call('ModelInfer', request(pad + 1)));
    assert.equal(f.code, S.RESOURCE_EXHAUSTED);
  });

  test('a client deadline shorter than the queue wait is DEADLINE_EXCEEDED and the queued request never runs', async () => {
    const countOf = async () => Number((await client.call('ModelStatistics', { name: 'slow' })).model_stats[0].inference_count);
    const before = await countOf();
    const row = { model_name: 'slow', inputs: [fp32Row([1, 2, 3, 4])] };
    // One instance and maxBatchSize 1: each request waits for the runs ahead of it (~0.1 s each).
    const ahead = [client.call('ModelInfer', row), client.call('ModelInfer', row), client.call('ModelInfer', row)];
    const late = failure(client.call('ModelInfer', row, { deadline: new Date(Date.now() + 50) }));
    const timedOut = failure(client.call('ModelInfer', { ...row, parameters: { timeout: { int64_param: '50000' } } }));
    assert.equal((await late).code, S.DEADLINE_EXCEEDED);
    const byParameter = await timedOut;
    assert.deepEqual([byParameter.code, byParameter.skeinCode], [S.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED']);
    await Promise.all(ahead);
    // FIFO: had either late request run, it would have run before this one.
    await client.call('ModelInfer', row);
    assert.equal(await countOf(), before + 4);
  });

  test('wine_two_inputs (exported by PyTorch) answers over gRPC, typed and raw, exactly what REST answers', async () => {
    const fixture = JSON.parse(await readFile(new URL('wine_two_inputs.json', FIXTURES), 'utf8'));
    const { num, flag } = fixture.inputs;
    const rest = await postJson(`${server.url}/v2/models/wine/infer`, {
      inputs: [{ name: 'num', ...num }, { name: 'flag', ...flag }],
    });
    assert.equal(rest.status, 200);
    const restOut = (name: string) => rest.body.outputs.find((o: { name: string }) => o.name === name).data as number[];
    const flags = (flag.data as (boolean | number)[]).map((v) => v === true || v === 1);
    const typed = await client.call('ModelInfer', {
      model_name: 'wine',
      inputs: [
        { name: 'num', datatype: 'FP32', shape: num.shape, contents: { fp32_contents: num.data } },
        { name: 'flag', datatype: 'BOOL', shape: flag.shape, contents: { bool_contents: flags } },
      ],
    });
    const raw = await client.call('ModelInfer', {
      model_name: 'wine',
      inputs: [{ name: 'num', datatype: 'FP32', shape: num.shape }, { name: 'flag', datatype: 'BOOL', shape: flag.shape }],
      raw_input_contents: [rawBytes(Float32Array.from(num.data)), rawBytes(Uint8Array.from(flags, Number))],
    });
    for (const reply of [typed, raw]) {
      assert.deepEqual(reply.outputs.map((o: { name: string }) => o.name), ['class_id', 'logits']);
      assert.deepEqual(reply.raw_output_contents[0], rawBytes(BigInt64Array.from(restOut('class_id'), BigInt)));
      assert.deepEqual(reply.raw_output_contents[1], rawBytes(Float32Array.from(restOut('logits'))));
    }
    const expected = fixture.outputs.class_id.data as number[];
    assert.deepEqual(restOut('class_id'), expected);
  });

  test('health Check answers SERVING for the server and a ready model, NOT_FOUND for an unknown name, and Watch is UNIMPLEMENTED', async () => {
    assert.deepEqual(await client.health(''), { status: 'SERVING' });
    assert.deepEqual(await client.health('inference.GRPCInferenceService'), { status: 'SERVING' });
    assert.deepEqual(await client.health('two'), { status: 'SERVING' });
    for (const name of ['nope', '../etc']) {
      const f = await failure(client.health(name));
      assert.deepEqual([f.code, f.skeinCode], [S.NOT_FOUND, 'MODEL_NOT_FOUND']);
    }
    assert.equal((await client.watchHealth('')).code, S.UNIMPLEMENTED);
  });

  // Last: the server stays draining until the after-hook closes it.
  test('while draining, health is NOT_SERVING, ServerReady is false and ModelInfer is UNAVAILABLE', async () => {
    server.service.beginDrain();
    assert.deepEqual(await client.health(''), { status: 'NOT_SERVING' });
    assert.deepEqual(await client.call('ServerReady', {}), { ready: false });
    assert.deepEqual(await client.call('ServerLive', {}), { live: true });
    const f = await failure(client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }));
    assert.deepEqual([f.code, f.skeinCode], [S.UNAVAILABLE, 'SHUTTING_DOWN']);
  });
});

describe('gRPC health and control on a server with a failed model', () => {
  let server: TestServer;
  let grpc: GrpcServer;
  let client: TestClient;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'add', 1, addModel(1));
    await writeModel(repo, 'broken', 1, brokenModelBytes());
    server = await startTestServer(repo);
    ({ grpc, client } = await startGrpc(server, { modelControl: false }));
  });
  after(async () => {
    client.close();
    await grpc.close();
    await server.close();
  });

  test('a model whose every version failed is NOT_SERVING, and so is the whole server', async () => {
    assert.deepEqual(await client.health('broken'), { status: 'NOT_SERVING' });
    assert.deepEqual(await client.health('add'), { status: 'SERVING' });
    assert.deepEqual(await client.health(''), { status: 'NOT_SERVING' });
    assert.deepEqual(await client.call('ModelReady', { name: 'broken' }), { ready: false });
  });

  test('load and unload without model control are FAILED_PRECONDITION; the index still answers', async () => {
    for (const method of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
      const f = await failure(client.call(method, { model_name: 'add' }));
      assert.deepEqual([f.code, f.skeinCode], [S.FAILED_PRECONDITION, 'CONTROL_DISABLED'], method);
    }
    const index = await client.call('RepositoryIndex', {});
    const states = Object.fromEntries(index.models.map((m: { name: string; state: string }) => [m.name, m.state]));
    assert.deepEqual(states, { add: 'READY', broken: 'UNAVAILABLE' });
    assert.ok(index.models.find((m: { name: string }) => m.name === 'broken').reason.length > 0);
  });
});
