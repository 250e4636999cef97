import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startLookupServer, type LookupServer } from '../../src/cli/lookup-command.js';
import { createPredictionStore } from '../../src/offline/store/index.js';

/** The lookup routes over a real socket, served by `skein lookup`'s server from a real SQLite store. */
async function seed(url: string): Promise<void> {
  const store = await createPredictionStore(url);
  await store.beginRun({ set: 'purchase', runId: 'r1', model: 'purchase', version: '3', defaultValue: { p: [0.01] } });
  await store.writeChunk('purchase', 'r1', 0, [{ key: 'u1', value: { p: [0.4] } }, { key: 'a/b c', value: { p: [0.6] } }], 0);
  await store.completeRun('purchase', 'r1');
  await store.setGateResult('purchase', 'r1', true, {});
  await store.publish('purchase', 'r1');
  await store.close();
}

const options = (store: string, mode: 'store' | 'memory') => ({
  store, mode, files: [], httpPort: 0, host: '127.0.0.1', maxKeysPerRequest: 1000, maxMemoryRows: 1000,
  refreshIntervalMs: 0, maxBodyBytes: 1024 * 1024, maxJsonDepth: 8, requestTimeoutMs: 10_000,
});

for (const mode of ['store', 'memory'] as const) {
  describe(`lookup routes (${mode} mode)`, () => {
    let dir: string;
    let server: LookupServer;
    let base: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skein-lookup-http-'));
      const url = `sqlite://${join(dir, 'p.db')}`;
      await seed(url);
      server = await startLookupServer(options(url, mode), { logger: pino({ level: 'silent' }) });
      base = `http://127.0.0.1:${server.port}`;
    });
    after(async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });

    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const post = async (path: string, body: string) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    test('GET answers a precomputed key with the set’s model and version', async () => {
      assert.deepEqual(await get('/v2/predictions/purchase/u1'), {
        status: 200,
        body: { set: 'purchase', model_name: 'purchase', model_version: '3', run_id: 'r1', key: 'u1', value: { p: [0.4] }, default: false },
      });
      assert.deepEqual((await get(`/v2/predictions/purchase/${encodeURIComponent('a/b c')}`)).body.value, { p: [0.6] });
    });

    test('GET answers a key not precomputed with the default and "default": true', async () => {
      const { status, body } = await get('/v2/predictions/purchase/someone');
      assert.deepEqual([status, body.value, body.default], [200, { p: [0.01] }, true]);
    });

    test('POST lookup answers every key in order', async () => {
      const { status, body } = await post('/v2/predictions/purchase/lookup', JSON.stringify({ keys: ['x', 'u1'] }));
      assert.equal(status, 200);
      assert.deepEqual(body.results, [{ key: 'x', value: { p: [0.01] }, default: true }, { key: 'u1', value: { p: [0.4] }, default: false }]);
    });

    test('POST takes 1,000 keys and refuses 1,001 with 400 INVALID_REQUEST', async () => {
      const keys = Array.from({ length: 1001 }, (_, i) => `k${i}`);
      assert.equal((await post('/v2/predictions/purchase/lookup', JSON.stringify({ keys: keys.slice(0, 1000) }))).status, 200);
      const over = await post('/v2/predictions/purchase/lookup', JSON.stringify({ keys }));
      assert.deepEqual([over.status, over.body.code], [400, 'INVALID_REQUEST']);
    });

    const bad: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ['an unknown set', () => get('/v2/predictions/nothing/u1'), 404, 'SET_NOT_FOUND'],
      ['a set name with ".."', () => get('/v2/predictions/bad..name/u1'), 400, 'INVALID_MODEL_NAME'],
      ['a key of 257 characters', () => get(`/v2/predictions/purchase/${'k'.repeat(257)}`), 400, 'INVALID_REQUEST'],
      ['a key with a control character', () => get('/v2/predictions/purchase/a%07b'), 400, 'INVALID_REQUEST'],
      ['a body that is not JSON', () => post('/v2/predictions/purchase/lookup', '{"keys": ['), 400, 'INVALID_JSON'],
      ['keys that are not a list', () => post('/v2/predictions/purchase/lookup', '{"keys": "u1"}'), 400, 'INVALID_REQUEST'],
      ['a key that is not a string', () => post('/v2/predictions/purchase/lookup', '{"keys": [1]}'), 400, 'INVALID_REQUEST'],
      ['an unknown body field', () => post('/v2/predictions/purchase/lookup', '{"keys": [], "limit": 3}'), 400, 'INVALID_REQUEST'],
      ['a body nested too deep', () => post('/v2/predictions/purchase/lookup', `{"keys": ${'['.repeat(20)}${']'.repeat(20)}}`), 400, 'JSON_TOO_DEEP'],
      ['an unknown route', () => get('/v2/predictions'), 404, 'ROUTE_NOT_FOUND'],
    ];
    for (const [what, send, status, code] of bad) {
      test(`${what} gets ${status} ${code}`, async () => {
        const res = await send();
        assert.deepEqual([res.status, res.body.code], [status, code]);
        assert.equal(typeof res.body.error, 'string');
      });
    }

    test('a 256-character key is accepted', async () => {
      assert.equal((await get(`/v2/predictions/purchase/${'k'.repeat(256)}`)).status, 200);
    });

    test('/metrics reports lookups by result and the set’s age; health answers', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, /skein_prediction_lookups_total\{set="purchase",result="hit"\} \d+/);
      assert.match(text, /skein_prediction_lookups_total\{set="purchase",result="default"\} \d+/);
      assert.match(text, /skein_prediction_set_age_seconds\{set="purchase"\} [0-9.e+-]+/);
      assert.doesNotMatch(text, /set="nothing"/);
      assert.deepEqual(await get('/v2/health/ready'), { status: 200, body: { ready: true } });
    });
  });
}

describe('startLookupServer', () => {
  test('store mode without a store is INVALID_CONFIG', async () => {
    await assert.rejects(
      startLookupServer({ ...options('', 'store'), store: undefined } as never, { logger: pino({ level: 'silent' }) }),
      { code: 'INVALID_CONFIG' },
    );
  });
});
