import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createPredictionStore, type LookupStore } from '../../src/offline/store/index.js';

/**
 * RELIABILITY.md scenario 13, store side: the store goes down mid-run (a TCP proxy we own is cut,
 * three times); writes fail while it is down, a retried chunk commits once, and nothing becomes
 * visible to lookups until the run is complete, gated and published.
 */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => { this.sockets.delete(s); client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** Retries the way the batch job does, without waiting on a timer: each failed try is a reconnect. */
async function retry<T>(op: () => Promise<T>, attempts = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

const chunk = (index: number) => Array.from({ length: 100 }, (_, i) => ({ key: `k${index * 100 + i}`, value: { p: [index] } }));

function outageCase(kind: string, targetPort: number, urlFor: (port: number) => string, cleanup: () => Promise<void>): void {
  describe(`${kind} store outage`, () => {
    const proxy = new Proxy(targetPort);
    let store: LookupStore | undefined;
    after(async () => {
      await store?.close().catch(() => undefined);
      await proxy.down();
      await cleanup();
    });

    test('three outages mid-run: failed writes commit nothing, retried chunks commit once, nothing is published early', async () => {
      await proxy.up();
      const s = await createPredictionStore(urlFor(proxy.port));
      store = s;
      await s.beginRun({ set: 'outage', runId: 'r1', model: 'm', version: '1', defaultValue: { p: [0.01] } });
      for (let index = 0; index < 6; index++) {
        if (index % 2 === 1) {
          await proxy.down();
          await assert.rejects(s.writeChunk('outage', 'r1', index, chunk(index), 0));
          await proxy.up();
        }
        await retry(() => s.writeChunk('outage', 'r1', index, chunk(index), 0));
        await assert.rejects(s.lookup('outage', ['k0']), { code: 'SET_NOT_FOUND' });
      }
      assert.deepEqual([...(await retry(() => s.committedChunks('outage', 'r1')))].sort(), [0, 1, 2, 3, 4, 5]);
      await s.completeRun('outage', 'r1');
      await s.setGateResult('outage', 'r1', true, {});
      const run = await s.publish('outage', 'r1');
      assert.equal(run.rowCount, 600);
      const keys = Array.from({ length: 600 }, (_, i) => `k${i}`);
      const values = await s.lookup('outage', keys);
      assert.deepEqual(values.map((v) => v?.p?.[0]), keys.map((_, i) => Math.floor(i / 100)));
    });
  });
}

const schema = `skein_outage_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
outageCase('PostgreSQL', 5432, (port) => `postgres://postgres@127.0.0.1:${port}/test?schema=${schema}`, async () => {
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const prefix = `skein-outage-${randomUUID().slice(0, 8)}:pred`;
outageCase('Redis', 6379, (port) => `redis://127.0.0.1:${port}?prefix=${prefix}`, async () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
