import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { ServingError } from '../errors/index.js';
import { createGuard, generateApiKey, hashApiKey, type Action, type AuthOptions, type Guard } from './index.js';

const NOW_MS = Date.parse('2030-06-01T12:00:00Z');
const NOW_S = NOW_MS / 1000;
const SECRET = 'x'.repeat(32);
const hs = new TextEncoder().encode(SECRET);
const jwtOptions = { hs256Secret: SECRET, maxTokenAgeS: 300, clockToleranceS: 5 };
const META: Action = { kind: 'metadata' };

function guardOf(options: Partial<AuthOptions>): Guard {
  return createGuard({ enabled: true, apiKeys: [], ...options }, { nowMs: () => NOW_MS });
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ServingError);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ServingError && err.code === code);
}

const signed = (claims: Record<string, unknown>, iat: number, exp: number, sub = 'svc'): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt(iat).setExpirationTime(exp).sign(hs);

describe('createGuard configuration', () => {
  test('auth enabled with neither keys nor jwt is INVALID_CONFIG', () => {
    throwsCode(() => createGuard({ enabled: true, apiKeys: [] }), 'INVALID_CONFIG');
  });

  test('auth disabled allows every action without a credential', async () => {
    const guard = createGuard({ enabled: false, apiKeys: [] });
    assert.equal(guard.enabled, false);
    assert.equal(await guard.check({}, { kind: 'admin' }), undefined);
  });

  test('malformed key hashes, duplicate ids, bad notAfter and short HS256 secrets are INVALID_CONFIG', () => {
    const sha256 = hashApiKey('k');
    throwsCode(() => guardOf({ apiKeys: [{ id: 'a', sha256: 'abc', scopes: [] }] }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ apiKeys: [{ id: 'a', sha256, scopes: [] }, { id: 'a', sha256, scopes: [] }] }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ apiKeys: [{ id: 'a', sha256, scopes: [], notAfter: 'soon' }] }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ jwt: { ...jwtOptions, hs256Secret: 'x'.repeat(31) } }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ jwt: { maxTokenAgeS: 300, clockToleranceS: 0 } }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ jwt: { ...jwtOptions, publicKeyPem: 'not a key' } }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ jwt: { ...jwtOptions, jwksUrl: 'file:///etc/jwks.json' } }), 'INVALID_CONFIG');
    throwsCode(() => guardOf({ jwt: { ...jwtOptions, maxTokenAgeS: 0 } }), 'INVALID_CONFIG');
  });
});

describe('API keys', () => {
  test('generated keys hash to what hashApiKey gives and are 256-bit random', () => {
    const a = generateApiKey();
    assert.equal(a.sha256, hashApiKey(a.key));
    assert.match(a.key, /^sk_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, generateApiKey().key);
  });

  test('a key sharing all but its last character with a configured key is refused', async () => {
    const { key, sha256 } = generateApiKey();
    const guard = guardOf({ apiKeys: [{ id: 'a', sha256, scopes: [] }] });
    assert.deepEqual(await guard.check({ 'x-api-key': key }, META), { id: 'key:a', scopes: [] });
    await rejectsWith(guard.check({ 'x-api-key': key.slice(0, -1) }, META), 'UNAUTHENTICATED', /^invalid credential$/);
    await rejectsWith(guard.check({ 'x-api-key': `${key}x` }, META), 'UNAUTHENTICATED');
  });

  test('two active keys both work during a rotation, and the old one stops after notAfter', async () => {
    const old = generateApiKey();
    const next = generateApiKey();
    const notAfter = new Date(NOW_MS).toISOString();
    const keys = [{ id: 'old', sha256: old.sha256, scopes: [], notAfter }, { id: 'new', sha256: next.sha256.toUpperCase(), scopes: [] }];
    const at = (nowMs: number) => createGuard({ enabled: true, apiKeys: keys }, { nowMs: () => nowMs });
    assert.equal((await at(NOW_MS).check({ 'x-api-key': old.key }, META))?.id, 'key:old');
    assert.equal((await at(NOW_MS).check({ authorization: `Bearer ${next.key}` }, META))?.id, 'key:new');
    await rejectsWith(at(NOW_MS + 1).check({ 'x-api-key': old.key }, META), 'UNAUTHENTICATED');
    assert.equal((await at(NOW_MS + 1).check({ 'x-api-key': next.key }, META))?.id, 'key:new');
  });

  test('missing, empty, repeated and doubled credentials are refused', async () => {
    const { key, sha256 } = generateApiKey();
    const guard = guardOf({ apiKeys: [{ id: 'a', sha256, scopes: [] }] });
    await rejectsWith(guard.check({}, META), 'UNAUTHENTICATED', /^missing credential/);
    await rejectsWith(guard.check({ 'x-api-key': '' }, META), 'UNAUTHENTICATED', /^missing credential/);
    await rejectsWith(guard.check({ 'x-api-key': [key, key] }, META), 'UNAUTHENTICATED', /^invalid credential$/);
    await rejectsWith(guard.check({ 'x-api-key': key, authorization: `Bearer ${key}` }, META), 'UNAUTHENTICATED');
    await rejectsWith(guard.check({ authorization: `Basic ${key}` }, META), 'UNAUTHENTICATED');
    await rejectsWith(guard.check({ 'x-api-key': 'k'.repeat(8_193) }, META), 'UNAUTHENTICATED');
  });

  test('health needs no credential even with auth on', async () => {
    const guard = guardOf({ apiKeys: [{ id: 'a', sha256: hashApiKey('k'), scopes: [] }] });
    assert.equal(await guard.check({}, { kind: 'health' }), undefined);
  });
});

describe('scopes', () => {
  const guard = guardOf({ jwt: jwtOptions });
  const as = async (scope: unknown, action: Action) => {
    const t = await signed({ scope }, NOW_S, NOW_S + 60);
    return guard.check({ authorization: `Bearer ${t}` }, action);
  };

  test('infer needs infer:<model> or infer:*, and admin does not imply infer', async () => {
    assert.deepEqual((await as('infer:add', { kind: 'infer', model: 'add' }))?.scopes, ['infer:add']);
    assert.ok(await as('infer:*', { kind: 'infer', model: 'add' }));
    await rejectsWith(as('infer:other', { kind: 'infer', model: 'add' }), 'FORBIDDEN', /^insufficient scope for infer/);
    await rejectsWith(as('infer:ad', { kind: 'infer', model: 'add' }), 'FORBIDDEN');
    await rejectsWith(as('admin', { kind: 'infer', model: 'add' }), 'FORBIDDEN');
  });

  test('admin needs admin; metadata takes any valid credential, even one without scopes', async () => {
    assert.ok(await as('admin', { kind: 'admin' }));
    await rejectsWith(as('infer:*', { kind: 'admin' }), 'FORBIDDEN', /^insufficient scope for admin/);
    assert.ok(await as('', { kind: 'metadata', model: 'add' }));
  });

  test('scopes come from `scope` (space-separated) and `scopes` (array); a malformed claim is invalid', async () => {
    const t = await signed({ scope: 'a  b', scopes: ['c'] }, NOW_S, NOW_S + 60);
    assert.deepEqual((await guard.check({ authorization: `Bearer ${t}` }, META))?.scopes, ['a', 'b', 'c']);
    const bad = await signed({ scopes: 'admin' }, NOW_S, NOW_S + 60);
    await rejectsWith(guard.check({ authorization: `Bearer ${bad}` }, META), 'UNAUTHENTICATED');
  });
});

describe('tokens', () => {
  const guard = guardOf({ jwt: jwtOptions });
  const check = (t: string) => guard.check({ authorization: `Bearer ${t}` }, META);

  test('a token living exactly maxTokenAgeS is accepted, one second longer is refused', async () => {
    assert.equal((await check(await signed({}, NOW_S, NOW_S + 300)))?.id, 'token:svc');
    await rejectsWith(check(await signed({}, NOW_S, NOW_S + 301)), 'UNAUTHENTICATED', /^invalid credential$/);
  });

  test('a token is refused once exp is clockToleranceS (5 s) in the past, and accepted a second before', async () => {
    assert.ok(await check(await signed({}, NOW_S - 64, NOW_S - 4)));
    await rejectsWith(check(await signed({}, NOW_S - 65, NOW_S - 5)), 'UNAUTHENTICATED');
  });

  test('tokens without exp, iat or sub, issued in the future, or of another algorithm are refused', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('s').setIssuedAt(NOW_S).sign(hs);
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S).setExpirationTime(NOW_S + 60).sign(hs);
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('s').setIssuedAt(NOW_S).setExpirationTime(NOW_S + 60)
      .sign(new TextEncoder().encode('y'.repeat(64)));
    for (const t of [noExp, noSub, hs512, await signed({}, NOW_S + 60, NOW_S + 120), 'a.b.c']) {
      await rejectsWith(check(t), 'UNAUTHENTICATED', /^invalid credential$/);
    }
  });

  test('an RS256 public key never verifies an HS256 token made with that key as the secret', async () => {
    const rsa = await generateKeyPair('RS256');
    const pem = await exportSPKI(rsa.publicKey);
    const g = guardOf({ jwt: { publicKeyPem: pem, hs256Secret: 'z'.repeat(32), maxTokenAgeS: 300, clockToleranceS: 0 } });
    const forged = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x')
      .setIssuedAt(NOW_S).setExpirationTime(NOW_S + 60).sign(new TextEncoder().encode(pem));
    await rejectsWith(g.check({ authorization: `Bearer ${forged}` }, { kind: 'admin' }), 'UNAUTHENTICATED');
  });

  test('issuer and audience must match when configured', async () => {
    const g = guardOf({ jwt: { ...jwtOptions, issuer: 'idp', audience: 'skein' } });
    const make = (iss: string, aud: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('s')
      .setIssuer(iss).setAudience(aud).setIssuedAt(NOW_S).setExpirationTime(NOW_S + 60).sign(hs);
    assert.ok(await g.check({ authorization: `Bearer ${await make('idp', 'skein')}` }, META));
    await rejectsWith(g.check({ authorization: `Bearer ${await make('other', 'skein')}` }, META), 'UNAUTHENTICATED');
    await rejectsWith(g.check({ authorization: `Bearer ${await make('idp', 'other')}` }, META), 'UNAUTHENTICATED');
  });
});
