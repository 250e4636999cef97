import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { createGuard, generateApiKey, type AuthOptions, type Guard } from '../../src/auth/index.js';
import { parseServerConfig } from '../../src/config/index.js';
import { createRedactor } from '../../src/privacy/index.js';
import { addModel, writeModel } from '../helpers/models.js';
import { fp32Rows, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';
import { createHttpServer, type HttpServer } from '../../src/server/http/server.js';

/**
 * Scenario 16 on REST: every route class × every kind of credential, over real sockets, against
 * a real service (real onnxruntime). The table `expected` below is the one in docs/security.md.
 */
type RouteClass = 'health' | 'metadata' | 'infer' | 'admin';
type Credential = 'none' | 'wrongKey' | 'expiredKey' | 'expiredToken' | 'longLivedToken' | 'badSignature'
  | 'narrowKey' | 'inferKey' | 'inferToken' | 'inferRsToken' | 'adminKey' | 'adminToken';

const ROUTES: { cls: RouteClass; method: 'GET' | 'POST'; path: string; body?: unknown }[] = [
  { cls: 'health', method: 'GET', path: '/v2/health/live' },
  { cls: 'health', method: 'GET', path: '/v2/health/ready' },
  { cls: 'metadata', method: 'GET', path: '/v2' },
  { cls: 'metadata', method: 'GET', path: '/v2/models' },
  { cls: 'metadata', method: 'GET', path: '/v2/models/stats' },
  { cls: 'metadata', method: 'GET', path: '/v2/models/add' },
  { cls: 'metadata', method: 'GET', path: '/v2/models/add/ready' },
  { cls: 'metadata', method: 'GET', path: '/v2/models/add/versions/1/config' },
  { cls: 'metadata', method: 'GET', path: '/metrics' },
  { cls: 'infer', method: 'POST', path: '/v2/models/add/infer', body: fp32Rows([[1, 2, 3, 4]]) },
  { cls: 'infer', method: 'POST', path: '/v2/models/add/versions/1/infer', body: fp32Rows([[1, 2, 3, 4]]) },
  { cls: 'admin', method: 'POST', path: '/v2/repository/index', body: {} },
  { cls: 'admin', method: 'POST', path: '/v2/repository/models/add/load', body: {} },
];

const VALID: ReadonlySet<Credential> = new Set(['narrowKey', 'inferKey', 'inferToken', 'inferRsToken', 'adminKey', 'adminToken']);
const INFER_OK: ReadonlySet<Credential> = new Set(['inferKey', 'inferToken', 'inferRsToken']);
const ADMIN_OK: ReadonlySet<Credential> = new Set(['adminKey', 'adminToken']);

/** [status, code] the documented matrix promises; admin success is CONTROL_DISABLED (control off). */
function expected(cls: RouteClass, cred: Credential, path: string): [number, string | undefined] {
  if (cls === 'health') return [200, undefined];
  if (!VALID.has(cred)) return [401, 'UNAUTHENTICATED'];
  if (cls === 'metadata') return [200, undefined];
  if (cls === 'infer') return INFER_OK.has(cred) ? [200, undefined] : [403, 'FORBIDDEN'];
  if (!ADMIN_OK.has(cred)) return [403, 'FORBIDDEN'];
  return path.endsWith('/load') ? [403, 'CONTROL_DISABLED'] : [200, undefined];
}

const HS_SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const nowS = (): number => Math.floor(Date.now() / 1000);

async function token(key: Parameters<SignJWT['sign']>[0], alg: string, scopes: string, lifetimeS = 60, ageS = 0, kid?: string): Promise<string> {
  const iat = nowS() - ageS;
  return new SignJWT({ scope: scopes })
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .setSubject('svc-test')
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeS)
    .sign(key);
}

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: { code?: string; error?: string } | undefined;
  try {
    parsed = JSON.parse(text) as { code?: string };
  } catch {
    parsed = undefined;
  }
  return { status: res.status, code: parsed?.code, error: parsed?.error, headers: res.headers };
}

let server: TestServer;
const opened: HttpServer[] = [];

async function serve(guard: Guard, logger: Logger = pino({ level: 'silent' })): Promise<string> {
  const limits = parseServerConfig({ modelRepository: server.repo });
  const app = createHttpServer({ service: server.service, metrics: server.metrics, logger, limits, modelControl: false, guard });
  opened.push(app);
  const { port } = await app.listen(0);
  return `http://127.0.0.1:${port}`;
}

before(async () => {
  const repo = await tempRepo();
  await writeModel(repo, 'add', 1, addModel(1));
  await writeModel(repo, 'other', 1, addModel(2));
  server = await startTestServer(repo);
});
after(async () => {
  for (const app of opened) await app.close();
  await server.close();
});

describe('REST auth matrix', () => {
  let base: string;
  const creds = new Map<Credential, Record<string, string>>();

  before(async () => {
    const admin = generateApiKey();
    const infer = generateApiKey();
    const narrow = generateApiKey();
    const expiredKey = generateApiKey();
    const rsa = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const options: AuthOptions = {
      enabled: true,
      apiKeys: [
        { id: 'admin', sha256: admin.sha256, scopes: ['admin'] },
        { id: 'infer', sha256: infer.sha256, scopes: ['infer:add'] },
        { id: 'narrow', sha256: narrow.sha256, scopes: ['infer:other'] },
        { id: 'old', sha256: expiredKey.sha256, scopes: ['infer:*', 'admin'], notAfter: '2020-01-01T00:00:00Z' },
      ],
      jwt: { hs256Secret: HS_SECRET, publicKeyPem: await exportSPKI(rsa.publicKey), maxTokenAgeS: 300, clockToleranceS: 0 },
    };
    base = await serve(createGuard(options));
    const hs = new TextEncoder().encode(HS_SECRET);
    const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
    creds.set('none', {});
    creds.set('wrongKey', { 'x-api-key': generateApiKey().key });
    creds.set('expiredKey', { 'x-api-key': expiredKey.key });
    creds.set('expiredToken', bearer(await token(hs, 'HS256', 'infer:* admin', 60, 120)));
    creds.set('longLivedToken', bearer(await token(hs, 'HS256', 'infer:* admin', 301)));
    creds.set('badSignature', bearer(await token(other.privateKey, 'RS256', 'infer:* admin')));
    creds.set('narrowKey', { 'x-api-key': narrow.key });
    creds.set('inferKey', { 'x-api-key': infer.key });
    creds.set('inferToken', bearer(await token(hs, 'HS256', 'infer:add')));
    creds.set('inferRsToken', bearer(await token(rsa.privateKey, 'RS256', 'infer:add')));
    creds.set('adminKey', bearer(admin.key));
    creds.set('adminToken', bearer(await token(rsa.privateKey, 'RS256', 'admin')));
  });

  test('every route class answers 200, 401 or 403 for each credential exactly as documented', async () => {
    const mismatches: string[] = [];
    for (const route of ROUTES) {
      for (const [cred, headers] of creds) {
        const got = await call(base, route.method, route.path, headers, route.body);
        const [status, code] = expected(route.cls, cred, route.path);
        if (got.status !== status || got.code !== code) {
          mismatches.push(`${route.method} ${route.path} × ${cred}: got ${got.status} ${got.code}, want ${status} ${code}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test('a refusal says only missing, invalid or insufficient scope, and asks for a Bearer credential', async () => {
    const none = await call(base, 'GET', '/v2', {});
    assert.match(none.error ?? '', /^missing credential/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="skein"');
    for (const cred of ['wrongKey', 'expiredKey', 'expiredToken', 'longLivedToken', 'badSignature'] as const) {
      assert.equal((await call(base, 'GET', '/v2', creds.get(cred) ?? {})).error, 'invalid credential');
    }
    const narrow = await call(base, 'POST', '/v2/models/add/infer', creds.get('narrowKey') ?? {}, fp32Rows([[1, 2, 3, 4]]));
    assert.match(narrow.error ?? '', /^insufficient scope for infer/);
  });

  test('an unknown path needs a credential before it answers 404', async () => {
    assert.equal((await call(base, 'GET', '/v2/nothing', {})).status, 401);
    assert.equal((await call(base, 'GET', '/v2/nothing', creds.get('narrowKey') ?? {})).status, 404);
  });

  test('a credential sent twice (header repeated, or both kinds) is refused', async () => {
    const key = creds.get('inferKey')?.['x-api-key'] ?? '';
    const both = await call(base, 'GET', '/v2', { 'x-api-key': key, authorization: `Bearer ${key}` });
    assert.equal(both.status, 401);
    const repeated = await new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      const req = http.request({ host: url.hostname, port: url.port, path: '/v2' });
      req.setHeader('x-api-key', [key, key]);
      req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(repeated, 401);
  });
});

describe('REST auth with a JWKS', () => {
  let base: string;
  let downBase: string;
  let signer: Parameters<SignJWT['sign']>[0];
  let jwks: http.Server;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    signer = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as { port: number }).port;
    const jwt = { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, maxTokenAgeS: 300, clockToleranceS: 0, issuer: 'https://idp.test' };
    base = await serve(createGuard({ enabled: true, apiKeys: [], jwt }));
    // A JWKS endpoint that refuses connections: verification fails, so the request must too.
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    downBase = await serve(createGuard({ enabled: true, apiKeys: [], jwt: { ...jwt, jwksUrl: `http://127.0.0.1:${deadPort}/jwks.json` } }));
  });
  after(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  const issued = async (kid: string, issuer: string): Promise<Record<string, string>> => {
    const t = await new SignJWT({ scopes: ['infer:add'] }).setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('svc').setIssuer(issuer).setIssuedAt().setExpirationTime('60s').sign(signer);
    return { authorization: `Bearer ${t}` };
  };

  test('a token signed by a key of the JWKS is accepted with its scopes', async () => {
    const ok = await call(base, 'POST', '/v2/models/add/infer', await issued('k1', 'https://idp.test'), fp32Rows([[1, 2, 3, 4]]));
    assert.equal(ok.status, 200);
    const forbidden = await call(base, 'POST', '/v2/models/other/infer', await issued('k1', 'https://idp.test'), fp32Rows([[1, 2, 3, 4]]));
    assert.equal(forbidden.status, 403);
  });

  test('an unknown kid, a wrong issuer or an unreachable JWKS answers 401', async () => {
    assert.equal((await call(base, 'GET', '/v2', await issued('k2', 'https://idp.test'))).status, 401);
    assert.equal((await call(base, 'GET', '/v2', await issued('k1', 'https://evil.test'))).status, 401);
    assert.equal((await call(downBase, 'GET', '/v2', await issued('k1', 'https://idp.test'))).status, 401);
  });
});

describe('REST rate limits', () => {
  test('past the burst a principal gets 429 with Retry-After, and another principal is unaffected', async (t) => {
    // The limiter reads Date.now: only Date is mocked (timers stay real for the server), from now.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const a = generateApiKey();
    const b = generateApiKey();
    const guard = createGuard({
      enabled: true,
      apiKeys: [{ id: 'a', sha256: a.sha256, scopes: [] }, { id: 'b', sha256: b.sha256, scopes: [] }],
      rateLimit: { requestsPerSecond: 0.5, burst: 2 },
    });
    const base = await serve(guard);
    const asA = { 'x-api-key': a.key };
    assert.equal((await call(base, 'GET', '/v2', asA)).status, 200);
    assert.equal((await call(base, 'GET', '/v2', asA)).status, 200);
    const limited = await call(base, 'GET', '/v2', asA);
    assert.equal(limited.status, 429);
    assert.equal(limited.code, 'RATE_LIMITED');
    // burst 2 at 0.5/s is a window of 4 s opened by the first request.
    assert.equal(limited.headers.get('retry-after'), '4');
    assert.equal((await call(base, 'GET', '/v2', { 'x-api-key': b.key })).status, 200);
    assert.equal((await call(base, 'GET', '/v2/health/ready', {})).status, 200);
    t.mock.timers.tick(3_999);
    assert.equal((await call(base, 'GET', '/v2', asA)).status, 429);
    t.mock.timers.tick(1);
    assert.equal((await call(base, 'GET', '/v2', asA)).status, 200);
  });
});

describe('REST logging with redaction (scenario 18)', () => {
  test('requests carrying e-mails, card numbers and bearer tokens leave none in logs or error bodies', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const logger = pino({ level: 'trace', ...createRedactor({ fields: [] }).pinoOptions }, sink);
    const key = generateApiKey();
    const guard = createGuard({ enabled: true, apiKeys: [{ id: 'k', sha256: key.sha256, scopes: ['infer:*'] }] });
    const base = await serve(guard, logger);
    const canaries: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 100; i++) {
      const email = `canary.${i}@example-mail.org`;
      const card = i % 2 === 0 ? '4111 1111 1111 1111' : '5500-0000-0000-0004';
      const token = `tok${i}x${'s'.repeat(20)}`;
      const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ${i}In0.sig${i}`;
      canaries.push(email, token, jwt);
      const query = `?email=${email}&card=${encodeURIComponent(card)}&auth=Bearer%20${token}`;
      const headers: Record<string, string> = i % 2 === 0 ? { authorization: `Bearer ${token}`, cookie: `session=${token}` } : { 'x-api-key': key.key, 'x-note': `Bearer ${token}` };
      const body = { id: `Bearer ${token}`, inputs: [{ name: i % 4 === 0 ? email : 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }], parameters: { email, card } };
      const paths = [`/v2/models/add/infer${query}`, `/v2/models/${email}/infer`, `/v2/models/add/versions/${jwt}/infer`];
      const got = await call(base, 'POST', paths[i % 3] as string, headers, body);
      bodies.push(JSON.stringify({ status: got.status, code: got.code, error: got.error }));
    }
    const logged = lines.join('');
    assert.ok(logged.length > 0);
    assert.deepEqual(canaries.filter((c) => logged.includes(c)), []);
    assert.equal(/4111 1111 1111 1111|4111%201111|5500-0000-0000-0004/.test(logged), false);
    assert.deepEqual(canaries.filter((c) => bodies.join('').includes(c)), []);
  });
});
