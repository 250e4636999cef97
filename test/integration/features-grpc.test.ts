/**
 * Raw-field requests over gRPC (issue 6): skein.features.RawInference/ModelInferRaw on a real
 * server answers what POST …/infer-raw answers for the same rows (outputs, parameters, errors and
 * their messages), and needs `infer:<model>` as the REST route does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import {
  categorical, createFeatureStore, defineFeatureSet, entity, locale, localTime, log1p, numeric, oneHot, request, saveFeatureSet, scale,
  type FeatureStore,
} from '../../src/features/index.js';
import { createGrpcServer } from '../../src/server/index.js';
import { allowAll, failure, type CallFailure } from '../helpers/grpc-client.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';
import { startTinyAuthServer, type TinyAuthServer } from './features-fixtures.js';

/** 4 features, 6 columns; `quantity` is required. */
const BASKET = defineFeatureSet({
  name: 'basket',
  entities: { product: { keyField: 'product_id' } },
  features: [
    numeric('quantity', request('quantity', { type: 'number', required: true })),
    numeric('log_price', entity('product', 'price_usd'), [log1p()], { default: 0 }),
    categorical('language', locale('language'), [oneHot(['en', 'de', 'fr'])]),
    numeric('hour', localTime('hour'), [scale({ mul: 1 / 24 })]),
  ],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['quantity', 'log_price', 'language', 'hour'] }],
});
const WIDTH = 6;
const MAX_BATCH_SIZE = 64;

// An independent client: loads the proto itself, not through the server's loader.
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

type Row = Record<string, unknown>;

interface RawClient {
  infer(request: unknown, metadata?: Record<string, string>): Promise<any>;
  close(): void;
}

function rawClient(port: number): RawClient {
  const definition = protoLoader.loadSync(`${PROTO_DIR}raw_inference.proto`, {
    keepCase: true, longs: String, enums: String, defaults: true, arrays: true, oneofs: true, includeDirs: [PROTO_DIR],
  });
  const root = grpc.loadPackageDefinition(definition) as any;
  const client = new root.skein.features.RawInference(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    infer: (req, headers = {}) =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
        client.ModelInferRaw(req, metadata, (err: grpc.ServiceError | null, reply: unknown) => (err ? reject(err) : resolve(reply)));
      }),
    close: () => client.close(),
  };
}

/**
 * A JSON row as a google.protobuf.Struct, as protobufjs spells it (camelCase: its bundled
 * struct.proto); Python's Struct.update and Go's structpb.NewStruct do this for their users.
 */
function toStruct(row: Row): { fields: Record<string, unknown> } {
  return { fields: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toValue(v)])) };
}

function toValue(v: unknown): unknown {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Row) };
}

/** The first output of a ModelInferResponse as numbers (FP32, raw). */
function fp32Output(reply: any): { shape: number[]; data: number[] } {
  const raw: Buffer = reply.raw_output_contents[0];
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { shape: reply.outputs[0].shape.map(Number), data: [...data] };
}

/** InferParameter map → plain values, as REST's JSON parameters read. */
function parametersOf(reply: any): Record<string, unknown> {
  return Object.fromEntries(Object.entries(reply.parameters as Record<string, any>).map(([k, p]) => {
    const v = p[p.parameter_choice];
    return [k, p.parameter_choice === 'int64_param' ? Number(v) : v];
  }));
}

const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({
  quantity: 1 + (i % 5),
  product_id: `p${i % 4}`,
  locale: ['en-US', 'de-DE', 'fr-FR', 'it-IT'][i % 4]!,
  time: `2024-05-0${1 + (i % 9)}T${String(i % 24).padStart(2, '0')}:30:00+02:00`,
}));

describe('skein.features.RawInference/ModelInferRaw', () => {
  let work: string;
  let store: FeatureStore;
  let server: TestServer;
  let client: RawClient;

  /** REST's answer and gRPC's failure for the same rows and other fields (`outputs`). */
  async function both(model: string, sent: readonly Row[], other: Row = {}): Promise<{ rest: any; grpc: CallFailure }> {
    const rest = await postJson(`${server.url}/v2/models/${model}/infer-raw`, { rows: sent, ...other });
    return { rest, grpc: await failure(client.infer({ model_name: model, rows: sent.map(toStruct), ...other })) };
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skein-features-grpc-'));
    const storePath = join(work, 'features.db');
    store = createFeatureStore({ url: storePath });
    await store.put('product', [0, 1, 2].map((i) => ({ id: `p${i}`, values: { price_usd: 5 + 10 * i }, updatedAtMs: 1000 })));
    const repo = await tempRepo();
    await writeModel(repo, 'basket', 1, identityModel('FP32', ['batch', WIDTH]));
    await saveFeatureSet(join(repo, 'basket', '1'), BASKET);
    await writeModel(repo, 'plain', 1, identityModel('FP32', ['batch', WIDTH]));
    server = await startTestServer(repo, { featureStore: storePath });
    client = rawClient(server.grpcPort);
  });

  after(async () => {
    client?.close();
    await server?.close();
    await store?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('answers the outputs, id, version and feature-set parameters POST …/infer-raw answers for the same rows', async () => {
    const sent = rows(20);
    const http = await postJson(`${server.url}/v2/models/basket/infer-raw`, { id: 'r-1', rows: sent });
    assert.equal(http.status, 200, JSON.stringify(http.body));
    const reply = await client.infer({ model_name: 'basket', id: 'r-1', rows: sent.map(toStruct) });
    assert.deepEqual(fp32Output(reply), { shape: http.body.outputs[0].shape, data: http.body.outputs[0].data });
    assert.equal(reply.outputs[0].name, http.body.outputs[0].name);
    assert.equal(reply.id, 'r-1');
    assert.equal(reply.model_name, 'basket');
    assert.equal(reply.model_version, '1');
    assert.deepEqual(parametersOf(reply), http.body.parameters);
    assert.equal(http.body.parameters.feature_set, 'basket');
    assert.ok(http.body.parameters.features_missing >= 5, 'p3 is not in the store');
  });

  test('takes a version in model_version, one row, and requested outputs as ModelInfer does', async () => {
    const [row] = rows(1);
    const http = await postJson(`${server.url}/v2/models/basket/versions/1/infer-raw`, { raw: row });
    const reply = await client.infer({ model_name: 'basket', model_version: '1', rows: [toStruct(row!)], outputs: [{ name: 'y' }] });
    assert.equal(reply.model_version, '1');
    assert.deepEqual(fp32Output(reply).data, http.body.outputs[0].data);
    const { rest, grpc: refused } = await both('basket', [row!], { outputs: [{ name: 'nope' }] });
    assert.equal(rest.status, 400);
    assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(refused.skeinCode, rest.body.code);
    assert.equal(refused.details, rest.body.error);
  });

  test('null is an absent field, as in JSON: a required one is refused, another takes its default', async () => {
    const { rest, grpc: refused } = await both('basket', [{ quantity: null, product_id: 'p1' }]);
    assert.equal(rest.body.code, 'INVALID_RAW_INPUT');
    assert.equal(refused.details, rest.body.error);
    const reply = await client.infer({ model_name: 'basket', rows: [toStruct({ quantity: 2, product_id: null, locale: 'de-DE', time: '2024-05-04T12:00:00+02:00' })] });
    assert.deepEqual(fp32Output(reply).data, [2, 0, 0, 1, 0, 0.5]);
  });

  for (const [what, bad] of [
    ['a raw field of the wrong type', [rows(1)[0]!, { quantity: 'lots', product_id: 'p1' }]],
    ['a required field absent', [{ product_id: 'p1' }]],
    ['a time without an offset', [{ quantity: 1, time: '2024-05-04T12:00:00' }]],
    ['a nested object in a field the set reads', [{ quantity: { n: 1 } }]],
    ['no rows', []],
  ] satisfies [string, Row[]][]) {
    test(`${what} is INVALID_ARGUMENT INVALID_RAW_INPUT with the message REST's 400 gives`, async () => {
      const { rest, grpc: refused } = await both('basket', bad);
      assert.equal(rest.status, 400);
      assert.equal(rest.body.code, 'INVALID_RAW_INPUT');
      assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(refused.skeinCode, 'INVALID_RAW_INPUT');
      assert.equal(refused.details, rest.body.error);
    });
  }

  test('fields the feature set does not read are ignored, nested or not, as REST ignores them', async () => {
    const [row] = rows(1);
    const extra = { ...row, note: 'gift', tags: ['a', ['b']], meta: { deep: { deeper: 1 } } };
    const http = await postJson(`${server.url}/v2/models/basket/infer-raw`, { raw: extra });
    assert.equal(http.status, 200);
    const reply = await client.infer({ model_name: 'basket', rows: [toStruct(extra)] });
    assert.deepEqual(fp32Output(reply).data, http.body.outputs[0].data);
  });

  test('a field that sets no kind is INVALID_RAW_INPUT naming it: null_value says absent', async () => {
    const refused = await failure(client.infer({ model_name: 'basket', rows: [{ fields: { quantity: {} } }] }));
    assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(refused.skeinCode, 'INVALID_RAW_INPUT');
    assert.match(refused.details, /field "quantity" sets no value/);
  });

  test(`takes the model's max batch size (${MAX_BATCH_SIZE} rows) and answers one past it as REST does`, async () => {
    const at = await client.infer({ model_name: 'basket', rows: rows(MAX_BATCH_SIZE).map(toStruct) });
    assert.deepEqual(fp32Output(at).shape, [MAX_BATCH_SIZE, WIDTH]);
    const { rest, grpc: refused } = await both('basket', rows(MAX_BATCH_SIZE + 1));
    assert.equal(rest.body.code, 'TOO_MANY_ELEMENTS');
    assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(refused.skeinCode, 'TOO_MANY_ELEMENTS');
    assert.equal(refused.details, rest.body.error);
  });

  test('a parameter that sets no value is INVALID_REQUEST, as for ModelInfer', async () => {
    const refused = await failure(client.infer({ model_name: 'basket', rows: rows(1).map(toStruct), parameters: { timeout: {} } }));
    assert.equal(refused.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(refused.skeinCode, 'INVALID_REQUEST');
  });

  test('a model without features.json is FEATURES_NOT_CONFIGURED and an unknown model MODEL_NOT_FOUND, as over REST', async () => {
    const plain = await both('plain', [{ quantity: 1 }]);
    assert.equal(plain.rest.body.code, 'FEATURES_NOT_CONFIGURED');
    assert.equal(plain.grpc.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(plain.grpc.skeinCode, 'FEATURES_NOT_CONFIGURED');
    assert.equal(plain.grpc.details, plain.rest.body.error);
    const unknown = await both('nobody', [{ quantity: 1 }]);
    assert.equal(unknown.rest.body.code, 'MODEL_NOT_FOUND');
    assert.equal(unknown.grpc.code, grpc.status.NOT_FOUND);
    assert.equal(unknown.grpc.skeinCode, 'MODEL_NOT_FOUND');
  });

  test('a gRPC server given no feature serving does not offer the service (UNIMPLEMENTED)', async () => {
    const bare = createGrpcServer({
      service: server.service, guard: allowAll, logger: pino({ level: 'silent' }), modelControl: false,
      limits: { maxMessageBytes: 1 << 20, maxTensorElements: 1 << 20, maxInputs: 16 },
    });
    const { port } = await bare.listen(0);
    const bareClient = rawClient(port);
    try {
      const refused = await failure(bareClient.infer({ model_name: 'basket', rows: rows(1).map(toStruct) }));
      assert.equal(refused.code, grpc.status.UNIMPLEMENTED);
    } finally {
      bareClient.close();
      await bare.close();
    }
  });
});

describe('ModelInferRaw under auth', () => {
  let server: TestServer;
  let keys: TinyAuthServer['keys'];
  let client: RawClient;

  before(async () => {
    ({ server, keys } = await startTinyAuthServer());
    client = rawClient(server.grpcPort);
  });

  after(async () => {
    client?.close();
    await server?.close();
  });

  test('needs infer:<model>, as POST …/infer-raw: no credential UNAUTHENTICATED, another scope PERMISSION_DENIED', async () => {
    const req = { model_name: 'tiny', rows: [toStruct({ amount: 2 })] };
    const none = await failure(client.infer(req));
    assert.deepEqual([none.code, none.skeinCode], [grpc.status.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    for (const key of [keys.other.key, keys.admin.key]) {
      const refused = await failure(client.infer(req, { 'x-api-key': key }));
      assert.deepEqual([refused.code, refused.skeinCode], [grpc.status.PERMISSION_DENIED, 'FORBIDDEN']);
    }
    const reply = await client.infer(req, { 'x-api-key': keys.infer.key });
    assert.deepEqual(fp32Output(reply), { shape: [1, 1], data: [2] });
  });
});
