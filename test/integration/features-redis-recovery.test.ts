/**
 * RELIABILITY.md scenario 12 for the feature store: Redis goes away mid-load and comes back.
 * A TCP proxy in front of the real Redis is cut (every connection destroyed, the port closed)
 * and reopened on the same port. While it is down raw requests answer 200 with the declared
 * default (counted); once it is back they get the stored value again, with no restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createFeatureStore, defineFeatureSet, entity, numeric, saveFeatureSet, type FeatureStore } from '../../src/features/index.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { postJson, startTestServer, tempRepo, until, type TestServer } from '../helpers/server.js';

const PREFIX = `skein-recovery-${process.pid}`;

/** A cuttable TCP proxy to 127.0.0.1:6379. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(6379, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const set = defineFeatureSet({
  name: 'prices',
  entities: { product: { keyField: 'product_id' } },
  features: [numeric('price', entity('product', 'price_usd'), [], { default: -1 })],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['price'] }],
});

let proxy: Proxy;
let seed: FeatureStore;
let server: TestServer;

before(async () => {
  proxy = new Proxy();
  await proxy.up();
  seed = createFeatureStore({ url: 'redis://127.0.0.1:6379/0', keyPrefix: PREFIX });
  await seed.put('product', [{ id: 'p1', values: { price_usd: 7 }, updatedAtMs: Date.now() }]);
  const repo = await tempRepo('skein-recovery-');
  await writeModel(repo, 'prices', 1, identityModel('FP32', ['batch', 1]));
  await saveFeatureSet(join(repo, 'prices', '1'), set);
  server = await startTestServer(repo, { featureStore: `redis://127.0.0.1:${proxy.port}/0?prefix=${PREFIX}` });
});
after(async () => {
  await server.close();
  await proxy.down().catch(() => undefined);
  const { Redis } = await import('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379/0');
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await seed.close();
});

async function price(): Promise<{ status: number; value: number; missing: number }> {
  const res = await postJson(`${server.url}/v2/models/prices/infer-raw`, { raw: { product_id: 'p1' } });
  return { status: res.status, value: res.body.outputs?.[0]?.data?.[0], missing: res.body.parameters?.features_missing };
}

test('Redis cut mid-load: 200s with the declared default while it is down, the stored value again once it is back', async () => {
  assert.deepEqual(await price(), { status: 200, value: 7, missing: 0 });
  await proxy.down();
  for (let i = 0; i < 20; i++) assert.deepEqual(await price(), { status: 200, value: -1, missing: 1 });
  const errors = (await (await fetch(`${server.url}/metrics`)).text()).split('\n').find((l) => l.startsWith('skein_feature_store_errors_total{'));
  assert.ok(errors && Number(errors.split(' ').pop()) >= 1, errors);
  await proxy.up();
  await until('the feature store to recover', async () => (await price()).value === 7);
  assert.deepEqual(await price(), { status: 200, value: 7, missing: 0 });
});
