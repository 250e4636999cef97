import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { generateApiKey } from '../../src/auth/index.js';
import { parseServerConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { connectGrpc, failure, type TestClient } from '../helpers/grpc-client.js';
import { addModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/**
 * Scenario 16 on gRPC: every RPC × every kind of credential against a real server with the real
 * Guard. The expected answers are the table of docs/security.md ("What each credential gets"),
 * with 401 read as UNAUTHENTICATED and 403 as PERMISSION_DENIED, as ERROR_TABLE maps them.
 */
const S = { OK: 0, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, RESOURCE_EXHAUSTED: 8, UNAUTHENTICATED: 16 } as const;
const STATUS_NAME = new Map<number, string>(Object.entries(S).map(([name, n]) => [n, name]));

type Action = 'health' | 'metadata' | 'infer' | 'admin';
type Credential = 'none' | 'wrongKey' | 'expiredKey' | 'expiredToken' | 'longLivedToken' | 'badSignature'
  | 'narrowKey' | 'inferKey' | 'inferToken' | 'inferAllRsToken' | 'adminKey' | 'adminToken';

/** How each credential reads in a test name. */
const DESCRIBED: Record<Credential, string> = {
  none: 'no credential',
  wrongKey: 'an unknown API key',
  expiredKey: 'an API key past its notAfter',
  expiredToken: 'an expired token',
  longLivedToken: 'a token living longer than maxTokenAgeS',
  badSignature: 'a token with a wrong signature',
  narrowKey: 'a key scoped infer:other',
  inferKey: 'a key scoped infer:add',
  inferToken: 'an HS256 token scoped infer:add',
  inferAllRsToken: 'an RS256 token scoped infer:*',
  adminKey: 'an admin key',
  adminToken: 'an admin token',
};

const fp32Row = (values: number[]) => ({ name: 'x', datatype: 'FP32', shape: [1, values.length], contents: { fp32_contents: values } });

/** Every RPC of inference.GRPCInferenceService plus grpc.health.v1.Health/Check, with its action. */
const RPCS: { rpc: string; action: Action; request: unknown }[] = [
  { rpc: 'ServerLive', action: 'health', request: {} },
  { rpc: 'ServerReady', action: 'health', request: {} },
  { rpc: 'Health/Check', action: 'health', request: {} },
  { rpc: 'ServerMetadata', action: 'metadata', request: {} },
  { rpc: 'ModelReady', action: 'metadata', request: { name: 'add' } },
  { rpc: 'ModelMetadata', action: 'metadata', request: { name: 'add' } },
  { rpc: 'ModelConfig', action: 'metadata', request: { name: 'add' } },
  { rpc: 'ModelStatistics', action: 'metadata', request: { name: 'add' } },
  { rpc: 'ModelInfer', action: 'infer', request: { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] } },
  { rpc: 'RepositoryIndex', action: 'admin', request: {} },
  { rpc: 'RepositoryModelLoad', action: 'admin', request: { model_name: 'spare' } },
  { rpc: 'RepositoryModelUnload', action: 'admin', request: { model_name: 'spare' } },
];

const VALID: ReadonlySet<Credential> = new Set(['narrowKey', 'inferKey', 'inferToken', 'inferAllRsToken', 'adminKey', 'adminToken']);
const INFER_OK: ReadonlySet<Credential> = new Set(['inferKey', 'inferToken', 'inferAllRsToken']);
const ADMIN_OK: ReadonlySet<Credential> = new Set(['adminKey', 'adminToken']);

/** [gRPC status, skein-error-code] the documented matrix promises for one cell. */
function expected(rpc: string, action: Action, cred: Credential, explicit: boolean): [number, string | undefined] {
  if (action === 'health') return [S.OK, undefined];
  if (!VALID.has(cred)) return [S.UNAUTHENTICATED, 'UNAUTHENTICATED'];
  if (action === 'metadata') return [S.OK, undefined];
  if (action === 'infer') return INFER_OK.has(cred) ? [S.OK, undefined] : [S.PERMISSION_DENIED, 'FORBIDDEN'];
  if (!ADMIN_OK.has(cred)) return [S.PERMISSION_DENIED, 'FORBIDDEN'];
  const controlled = rpc === 'RepositoryModelLoad' || rpc === 'RepositoryModelUnload';
  return controlled && !explicit ? [S.FAILED_PRECONDITION, 'CONTROL_DISABLED'] : [S.OK, undefined];
}

const HS_SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const nowS = (): number => Math.floor(Date.now() / 1000);

async function token(key: Parameters<SignJWT['sign']>[0], alg: string, scopes: string, lifetimeS = 60, ageS = 0): Promise<string> {
  const iat = nowS() - ageS;
  return new SignJWT({ scope: scopes }).setProtectedHeader({ alg }).setSubject('svc-grpc')
    .setIssuedAt(iat).setExpirationTime(iat + lifetimeS).sign(key);
}

/** Keys, signing keys and the auth config shared by the servers of this file. */
async function makeCredentials(): Promise<{ auth: Record<string, unknown>; creds: Map<Credential, Record<string, string>> }> {
  const [admin, infer, narrow, old] = [generateApiKey(), generateApiKey(), generateApiKey(), generateApiKey()];
  const rsa = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const auth = {
    enabled: true,
    apiKeys: [
      { id: 'admin', sha256: admin.sha256, scopes: ['admin'] },
      { id: 'infer', sha256: infer.sha256, scopes: ['infer:add'] },
      { id: 'narrow', sha256: narrow.sha256, scopes: ['infer:other'] },
      { id: 'old', sha256: old.sha256, scopes: ['infer:*', 'admin'], notAfter: '2020-01-01T00:00:00Z' },
    ],
    jwt: { hs256Secret: HS_SECRET, publicKeyPem: await exportSPKI(rsa.publicKey), maxTokenAgeS: 300, clockToleranceS: 0 },
  };
  const hs = new TextEncoder().encode(HS_SECRET);
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const creds = new Map<Credential, Record<string, string>>([
    ['none', {}],
    ['wrongKey', { 'x-api-key': generateApiKey().key }],
    ['expiredKey', { 'x-api-key': old.key }],
    ['expiredToken', bearer(await token(hs, 'HS256', 'infer:* admin', 60, 120))],
    // 301 s is one past maxTokenAgeS: not yet expired, but refused for living too long.
    ['longLivedToken', bearer(await token(hs, 'HS256', 'infer:* admin', 301))],
    ['badSignature', bearer(await token(stranger.privateKey, 'RS256', 'infer:* admin'))],
    ['narrowKey', { 'x-api-key': narrow.key }],
    ['inferKey', bearer(infer.key)],
    ['inferToken', bearer(await token(hs, 'HS256', 'infer:add'))],
    ['inferAllRsToken', bearer(await token(rsa.privateKey, 'RS256', 'infer:*', 300))],
    ['adminKey', { 'x-api-key': admin.key }],
    ['adminToken', bearer(await token(rsa.privateKey, 'RS256', 'admin'))],
  ]);
  return { auth, creds };
}

/**
 * grpc.health.v1.Health/Check with metadata, which the test client's health() cannot send. The
 * request {service: ""} encodes to no bytes; the reply is returned raw (SERVING is 08 01).
 */
function healthCheck(port: number, metadata: Record<string, string>): Promise<Buffer> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.add(k, v);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', () => Buffer.alloc(0), (b: Buffer) => b, {}, md, (err, reply) => {
      client.close();
      if (err) reject(err);
      else resolve(reply ?? Buffer.alloc(0));
    });
  });
}

/** Status code and skein-error-code of one call; OK calls have no code. */
async function outcome(client: TestClient, port: number, rpc: string, request: unknown, metadata: Record<string, string>): Promise<[number, string | undefined]> {
  try {
    if (rpc === 'Health/Check') assert.deepEqual([...await healthCheck(port, metadata)], [0x08, 0x01]);
    else await client.call(rpc, request, { metadata });
    return [S.OK, undefined];
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    const f = await failure(Promise.reject(err));
    return [f.code, f.skeinCode];
  }
}

const { auth, creds } = await makeCredentials();

async function repoWithModels(): Promise<string> {
  const repo = await tempRepo();
  await writeModel(repo, 'add', 1, addModel(1));
  await writeModel(repo, 'other', 1, addModel(2));
  await writeModel(repo, 'spare', 1, addModel(3));
  return repo;
}

for (const mode of ['none', 'explicit'] as const) {
  describe(`gRPC auth matrix with model control ${mode}`, () => {
    let server: TestServer;
    let client: TestClient;

    before(async () => {
      server = await startTestServer(await repoWithModels(), { auth, modelControlMode: mode, workers: 1 });
      client = connectGrpc(server.grpcPort);
      if (mode === 'explicit') {
        // Explicit mode starts with nothing loaded; the matrix reads and infers on add.
        await client.call('RepositoryModelLoad', { model_name: 'add' }, { metadata: creds.get('adminKey') ?? {} });
      }
    });
    after(async () => {
      client.close();
      await server.close();
    });

    for (const { rpc, action, request } of RPCS) {
      // The explicit-mode server only needs the admin rows again: other rows do not depend on the mode.
      if (mode === 'explicit' && action !== 'admin') continue;
      for (const [cred, metadata] of creds) {
        const [code, skeinCode] = expected(rpc, action, cred, mode === 'explicit');
        const answer = code === S.OK ? 'succeeds' : `is refused with ${STATUS_NAME.get(code)} (${skeinCode})`;
        test(`${rpc} with ${DESCRIBED[cred]} ${answer}`, async () => {
          if (mode === 'explicit' && rpc === 'RepositoryModelUnload') {
            // Each unload cell starts from spare loaded, so it does not depend on the cell before.
            await client.call('RepositoryModelLoad', { model_name: 'spare' }, { metadata: creds.get('adminKey') ?? {} });
          }
          assert.deepEqual(await outcome(client, server.grpcPort, rpc, request, metadata), [code, skeinCode]);
        });
      }
    }
  });
}

describe('gRPC auth refusals', () => {
  let server: TestServer;
  let client: TestClient;

  before(async () => {
    server = await startTestServer(await repoWithModels(), { auth, workers: 1 });
    client = connectGrpc(server.grpcPort);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  test('a refusal says only missing credential, invalid credential or insufficient scope', async () => {
    const none = await failure(client.call('ServerMetadata', {}));
    assert.match(none.details, /^missing credential/);
    for (const cred of ['wrongKey', 'expiredKey', 'expiredToken', 'longLivedToken', 'badSignature'] as const) {
      assert.equal((await failure(client.call('ServerMetadata', {}, { metadata: creds.get(cred) ?? {} }))).details, 'invalid credential', cred);
    }
    const narrow = await failure(client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }, { metadata: creds.get('narrowKey') ?? {} }));
    assert.match(narrow.details, /^insufficient scope for infer/);
  });

  test('a key scoped infer:add is refused PERMISSION_DENIED for another model', async () => {
    const f = await failure(client.call('ModelInfer', { model_name: 'other', inputs: [fp32Row([1, 2, 3, 4])] }, { metadata: creds.get('inferKey') ?? {} }));
    assert.deepEqual([f.code, f.skeinCode], [S.PERMISSION_DENIED, 'FORBIDDEN']);
  });

  test('a credential sent twice, or sent both ways, is refused UNAUTHENTICATED', async () => {
    const key = creds.get('adminKey')?.['x-api-key'] ?? '';
    const repeated = await failure(client.call('ServerMetadata', {}, { metadata: { 'x-api-key': [key, key] } }));
    assert.deepEqual([repeated.code, repeated.skeinCode], [S.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    const both = await failure(client.call('ServerMetadata', {}, { metadata: { 'x-api-key': key, authorization: `Bearer ${key}` } }));
    assert.deepEqual([both.code, both.skeinCode], [S.UNAUTHENTICATED, 'UNAUTHENTICATED']);
  });

  test('the infer reply for a permitted credential carries the model output', async () => {
    const reply = await client.call('ModelInfer', { model_name: 'add', inputs: [fp32Row([1, 2, 3, 4])] }, { metadata: creds.get('inferKey') ?? {} });
    assert.equal(reply.model_name, 'add');
    assert.equal(reply.outputs[0].name, 'y');
  });
});

describe('gRPC rate limits', () => {
  let server: RunningServer;
  let repo: string;
  let client: TestClient;
  const a = generateApiKey();
  const b = generateApiKey();

  before(async () => {
    repo = await repoWithModels();
    const config = parseServerConfig({
      modelRepository: repo, httpPort: 0, grpcPort: 0, host: '127.0.0.1', logLevel: 'silent', workers: 1,
      auth: {
        enabled: true,
        apiKeys: [{ id: 'a', sha256: a.sha256, scopes: ['infer:*'] }, { id: 'b', sha256: b.sha256, scopes: ['infer:*'] }],
        rateLimit: { requestsPerSecond: 1, burst: 2 },
      },
    });
    server = await startServer(config, { processMetrics: false, logger: pino({ level: 'silent' }) });
    client = connectGrpc(server.grpcPort);
  });
  after(async () => {
    client.close();
    await server.shutdown();
    const { rm } = await import('node:fs/promises');
    await rm(repo, { recursive: true, force: true });
  });

  test('past the burst a principal gets RESOURCE_EXHAUSTED, another principal and health are unaffected', async (t) => {
    // The limiter reads Date.now: only Date is mocked (timers stay real for the server), from now.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const asA = { metadata: { 'x-api-key': a.key } };
    assert.ok(await client.call('ServerMetadata', {}, asA));
    assert.ok(await client.call('ServerMetadata', {}, asA));
    const limited = await failure(client.call('ServerMetadata', {}, asA));
    assert.deepEqual([limited.code, limited.skeinCode], [S.RESOURCE_EXHAUSTED, 'RATE_LIMITED']);
    assert.ok(await client.call('ServerMetadata', {}, { metadata: { 'x-api-key': b.key } }));
    assert.deepEqual(await client.call('ServerLive', {}), { live: true });
    assert.deepEqual(await client.health(''), { status: 'SERVING' });
    // burst 2 at 1/s is a window of 2 s opened by the first call.
    t.mock.timers.tick(1_999);
    assert.equal((await failure(client.call('ServerMetadata', {}, asA))).code, S.RESOURCE_EXHAUSTED);
    t.mock.timers.tick(1);
    assert.ok(await client.call('ServerMetadata', {}, asA));
  });

  test('calls with an unknown key past the burst stay UNAUTHENTICATED, never RESOURCE_EXHAUSTED', async () => {
    const unknown = { metadata: { 'x-api-key': generateApiKey().key } };
    for (let i = 0; i < 3; i++) {
      const f = await failure(client.call('ServerMetadata', {}, unknown));
      assert.deepEqual([f.code, f.skeinCode], [S.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    }
  });
});
