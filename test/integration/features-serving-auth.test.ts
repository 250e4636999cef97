/**
 * Raw-field routes under auth: POST …/infer-raw is an inference (`infer:<model>`), GET …/skew is
 * metadata (any valid credential), as docs/security.md's table says for /infer and model reads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generateApiKey } from '../../src/auth/index.js';
import { defineFeatureSet, numeric, request, saveFeatureSet } from '../../src/features/index.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const SPEC = defineFeatureSet({
  name: 'tiny',
  features: [numeric('amount', request('amount', { type: 'number' }))],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['amount'] }],
});

const keys = { infer: generateApiKey(), other: generateApiKey(), admin: generateApiKey() };
let server: TestServer;

before(async () => {
  const repo = await tempRepo();
  await writeModel(repo, 'tiny', 1, identityModel('FP32', ['batch', 1]));
  await saveFeatureSet(join(repo, 'tiny', '1'), SPEC);
  server = await startTestServer(repo, {
    auth: {
      enabled: true,
      apiKeys: [
        { id: 'infer', sha256: keys.infer.sha256, scopes: ['infer:tiny'] },
        { id: 'other', sha256: keys.other.sha256, scopes: ['infer:other'] },
        { id: 'admin', sha256: keys.admin.sha256, scopes: ['admin'] },
      ],
    },
  });
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
