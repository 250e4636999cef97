import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ServingError } from '../../../src/errors/index.js';
import type { Action, CredentialHeaders, Guard } from '../../../src/auth/index.js';
import { addModel, writeModel } from '../../../test/helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../../../test/helpers/server.js';
import { createGrpcServer, type GrpcServer } from '../../../src/server/grpc/index.js';
import { connectGrpc, failure, type TestClient } from '../../helpers/grpc-client.js';

const S = { PERMISSION_DENIED: 7, INTERNAL: 13, UNAUTHENTICATED: 16 };
const LIMITS = { maxMessageBytes: 64 * 1024, maxTensorElements: 4096, maxInputs: 4 };
const fp32Row = (values: number[]) => ({ name: 'x', datatype: 'FP32', shape: [1, values.length], contents: { fp32_contents: values } });

describe('the gRPC server checks the Guard before every call', () => {
  let server: TestServer;
  let grpc: GrpcServer;
  let client: TestClient;
  const seen: { headers: CredentialHeaders; action: Action }[] = [];
  /** No key: UNAUTHENTICATED; key "reader": anything but infer and admin; key "boom": a bug. */
  const guard: Guard = {
    enabled: true,
    async check(headers, action) {
      seen.push({ headers, action });
      if (action.kind === 'health') return undefined;
      const key = headers['x-api-key'] ?? headers.authorization;
      if (Array.isArray(key)) throw new ServingError('UNAUTHENTICATED', 'send one credential');
      if (key === 'boom') throw new Error('guard bug with a secret inside');
      if (key === undefined) throw new ServingError('UNAUTHENTICATED', 'send a credential');
      if (key === 'reader' && (action.kind === 'infer' || action.kind === 'admin')) throw new ServingError('FORBIDDEN', 'missing scope');
      return { id: String(key), scopes: [] };
    },
  };
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'add', 1, addModel(1));
    server = await startTestServer(repo);
    grpc = createGrpcServer({ service: server.service, guard, logger: pino({ level: 'silent' }), limits: LIMITS, modelControl: true });
    client = connectGrpc((await grpc.listen(0)).port);
  });
  after(async () => {
    client.close();
    await grpc.close();
    await server.close();
  });

  test('each RPC asks for its action: health, metadata, infer:<model> or admin', async () => {
    const calls: [string, unknown, Action][] = [
      ['ServerLive', {}, { kind: 'health' }],
      ['ServerReady', {}, { kind: 'health' }],
      ['ServerMetadata', {}, { kind: 'metadata' }],
      ['ModelMetadata', { name: 'add' }, { kind: 'metadata', model: 'add' }],
      ['ModelReady', { name: 'add' }, { kind: 'metadata', model: 'add' }],
      ['ModelConfig', { name: 'add' }, { kind: 'metadata', model: 'add' }],
      ['ModelStatistics', { name: 'add' }, { kind: 'metadata', model: 'add' }],
      ['ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }, { kind: 'infer', model: 'add' }],
      ['RepositoryIndex', {}, { kind: 'admin' }],
    ];
    for (const [method, request, action] of calls) {
      seen.length = 0;
      await client.call(method, request, { metadata: { 'x-api-key': 'admin-key' } });
      assert.deepEqual(seen.map((s) => s.action), [action], method);
    }
    seen.length = 0;
    await client.health('');
    assert.deepEqual(seen.map((s) => s.action), [{ kind: 'health' }]);
  });

  test('credentials come from the authorization and x-api-key metadata', async () => {
    seen.length = 0;
    await client.call('ServerMetadata', {}, { metadata: { authorization: 'Bearer t0k', 'x-api-key': 'k1' } });
    assert.deepEqual(seen[0]!.headers, { authorization: 'Bearer t0k', 'x-api-key': 'k1' });
  });

  test('a repeated credential key reaches the Guard as every value, and the Guard refuses it', async () => {
    seen.length = 0;
    const f = await failure(client.call('ServerMetadata', {}, { metadata: { 'x-api-key': ['k1', 'k2'] } }));
    assert.equal(f.code, S.UNAUTHENTICATED);
    assert.deepEqual(seen[0]!.headers['x-api-key'], ['k1', 'k2']);
  });

  test('UNAUTHENTICATED and FORBIDDEN map to UNAUTHENTICATED and PERMISSION_DENIED; health needs no credential', async () => {
    const none = await failure(client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }));
    assert.deepEqual([none.code, none.skeinCode], [S.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    const reader = await failure(client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }, { metadata: { 'x-api-key': 'reader' } }));
    assert.deepEqual([reader.code, reader.skeinCode], [S.PERMISSION_DENIED, 'FORBIDDEN']);
    assert.deepEqual(await client.call('ModelReady', { name: 'add' }, { metadata: { 'x-api-key': 'reader' } }), { ready: true });
    assert.deepEqual(await client.call('ServerLive', {}), { live: true });
    assert.deepEqual(await client.health(''), { status: 'SERVING' });
  });

  test('an unexpected error is INTERNAL "internal error" and its message is never sent', async () => {
    const f = await failure(client.call('ServerMetadata', {}, { metadata: { 'x-api-key': 'boom' } }));
    assert.deepEqual([f.code, f.details, f.skeinCode], [S.INTERNAL, 'internal error', 'INTERNAL']);
  });
});
