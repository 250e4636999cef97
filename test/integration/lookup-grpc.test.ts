import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createPredictionStore } from '../../src/offline/index.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

// An independent client: loads the proto itself, not through the server's loader.
const PROTO = fileURLToPath(new URL('../../proto/prediction_lookup.proto', import.meta.url));

interface Failure {
  code: number;
  skeinCode: string | undefined;
}

function lookupClient(port: number): { lookup(request: unknown): Promise<any>; close(): void } {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, defaults: true, arrays: true, objects: true });
  const root = grpc.loadPackageDefinition(definition) as any;
  const client = new root.skein.offline.PredictionLookup(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    lookup: (request) =>
      new Promise((resolve, reject) => {
        client.Lookup(request, (err: grpc.ServiceError | null, reply: unknown) => {
          if (!err) return resolve(reply);
          const failure: Failure = { code: err.code, skeinCode: err.metadata?.get('skein-error-code')[0]?.toString() };
          reject(Object.assign(new Error(err.details), failure));
        });
      }),
    close: () => client.close(),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (err) {
    return err as Failure;
  }
  throw new Error('expected the call to fail');
}

/** The gRPC value map back to the JSON shape of the HTTP reply. */
function jsonValue(value: Record<string, { numbers: number[]; strings: string[] }>): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, v.strings.length > 0 ? v.strings : v.numbers]));
}

describe('gRPC PredictionLookup on skein serve --predictions', () => {
  let server: TestServer;
  let client: ReturnType<typeof lookupClient>;

  before(async () => {
    const repo = await tempRepo();
    const url = `sqlite://${join(repo, 'predictions.db')}`;
    const store = await createPredictionStore(url);
    await store.beginRun({ set: 'purchase', runId: 'r1', model: 'purchase', version: '1', defaultValue: { probability: [0.01], label: ['none'] } });
    await store.writeChunk('purchase', 'r1', 0, [{ key: 'u1:p9', value: { probability: [0.42], label: ['buy'] } }], 0);
    await store.completeRun('purchase', 'r1');
    await store.setGateResult('purchase', 'r1', true, { checks: [] });
    await store.publish('purchase', 'r1');
    await store.close();
    server = await startTestServer(repo, { predictions: url });
    client = lookupClient(server.grpcPort);
  });

  after(async () => {
    client.close();
    await server.close();
  });

  test('a precomputed key answers its value with the run that produced it and default false', async () => {
    const reply = await client.lookup({ set: 'purchase', keys: ['u1:p9'] });
    assert.equal(reply.set, 'purchase');
    assert.equal(reply.model_name, 'purchase');
    assert.equal(reply.model_version, '1');
    assert.equal(reply.run_id, 'r1');
    assert.equal(reply.results.length, 1);
    assert.equal(reply.results[0].key, 'u1:p9');
    assert.equal(reply.results[0].default, false);
    assert.deepEqual(jsonValue(reply.results[0].value), { probability: [0.42], label: ['buy'] });
  });

  test('a key that was not precomputed answers the set default with default true', async () => {
    const reply = await client.lookup({ set: 'purchase', keys: ['u2:p1'] });
    assert.equal(reply.results[0].default, true);
    assert.deepEqual(jsonValue(reply.results[0].value), { probability: [0.01], label: ['none'] });
  });

  test('a set with no published run is NOT_FOUND with skein-error-code SET_NOT_FOUND', async () => {
    const failure = await failureOf(client.lookup({ set: 'nope', keys: ['u1'] }));
    assert.equal(failure.code, grpc.status.NOT_FOUND);
    assert.equal(failure.skeinCode, 'SET_NOT_FOUND');
  });

  test('1,000 keys are answered in order and 1,001 keys are INVALID_ARGUMENT', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const reply = await client.lookup({ set: 'purchase', keys });
    assert.deepEqual(reply.results.map((r: { key: string }) => r.key), keys);
    const failure = await failureOf(client.lookup({ set: 'purchase', keys: [...keys, 'k1000'] }));
    assert.equal(failure.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(failure.skeinCode, 'INVALID_REQUEST');
  });

  test('gRPC answers the same as the HTTP batch route for the same keys', async () => {
    const keys = ['u2:p1', 'u1:p9', 'u1:p9'];
    const http = await postJson(`${server.url}/v2/predictions/purchase/lookup`, { keys });
    assert.equal(http.status, 200, JSON.stringify(http.body));
    const reply = await client.lookup({ set: 'purchase', keys });
    const { results, ...head } = reply;
    const { results: httpResults, ...httpHead } = http.body;
    assert.deepEqual(head, httpHead);
    assert.deepEqual(
      results.map((r: any) => ({ key: r.key, value: jsonValue(r.value), default: r.default })),
      httpResults,
    );
  });
});
