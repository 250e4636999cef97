/**
 * Raw-field routes under auth: POST …/infer-raw is an inference (`infer:<model>`), GET …/skew is
 * metadata (any valid credential), as docs/security.md's table says for /infer and model reads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.js';
import { startTinyAuthServer, type TinyAuthServer } from './features-fixtures.js';

let server: TestServer;
let keys: TinyAuthServer['keys'];

before(async () => {
  ({ server, keys } = await startTinyAuthServer());
});

after(async () => {
  await server?.close();
});

async function call(method: 'GET' | 'POST', path: string, key: string | undefined): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { 'x-api-key': key } : {}) },
    ...(method === 'POST' ? { body: JSON.stringify({ raw: { amount: 2 } }) } : {}),
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code };
}

test('infer-raw needs infer:<model>; the skew report needs any valid credential', async () => {
  for (const path of ['/v2/models/tiny/infer-raw', '/v2/models/tiny/versions/1/infer-raw']) {
    assert.deepEqual(await call('POST', path, undefined), { status: 401, code: 'UNAUTHENTICATED' });
    assert.deepEqual(await call('POST', path, keys.other.key), { status: 403, code: 'FORBIDDEN' });
    assert.deepEqual(await call('POST', path, keys.admin.key), { status: 403, code: 'FORBIDDEN' });
    assert.deepEqual(await call('POST', path, keys.infer.key), { status: 200, code: undefined });
  }
  assert.deepEqual(await call('GET', '/v2/models/tiny/skew', undefined), { status: 401, code: 'UNAUTHENTICATED' });
  // Past auth, the version has no training-stats.json: the route's own answer.
  assert.deepEqual(await call('GET', '/v2/models/tiny/skew', keys.other.key), { status: 400, code: 'FEATURES_NOT_CONFIGURED' });
});
