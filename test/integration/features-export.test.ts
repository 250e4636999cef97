import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  createFeatureAssembler, createFeatureStore, exportTrainingRows, ingestEntities, loadFeatureSet, type ExportOptions,
} from '../../src/features/index.js';
import { parquetBytes } from './offline-batch-fixtures.js';
import { HOUR_MS, PRODUCT_LOG, SHOP_SPEC, T0, USER_LOG, event, iso, writeCsv, writeJsonl, type EventRow } from './features-fixtures.js';

interface ExportedRow {
  event_time: string;
  label: number | string;
  features: Record<string, number | string | null>;
  tensors: Record<string, (number | string)[]>;
}

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skein-fexport-'));
  await writeJsonl(join(dir, 'users.jsonl'), USER_LOG);
  await writeCsv(join(dir, 'products.csv'), PRODUCT_LOG);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(events: string, out: string, over: Partial<ExportOptions> = {}): ExportOptions {
  return {
    spec: SHOP_SPEC,
    events: { file: join(dir, events) },
    entityLogs: {
      user: { file: join(dir, 'users.jsonl'), timeField: 'updated_at' },
      product: { file: join(dir, 'products.csv'), idField: 'product_id', timeField: 'updated_at' },
    },
    out: { file: join(dir, out), format: 'jsonl', metaDir: join(dir, `${out}.meta`) },
    labelField: 'label',
    timeField: 'time',
    ...over,
  };
}

async function readJsonl(path: string): Promise<ExportedRow[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ExportedRow);
}

describe('exportTrainingRows: point-in-time joins', () => {
  test('each event sees the entity values in force at its time, including a late-arriving update, never a later one', async () => {
    await writeJsonl(join(dir, 'pit.jsonl'), [
      event(T0 - HOUR_MS),
      event(T0 + 1 * HOUR_MS),
      event(T0 + 5 * HOUR_MS),
      event(T0 + 10 * HOUR_MS),
      event(T0 + 12 * HOUR_MS),
    ]);
    const summary = await exportTrainingRows(options('pit.jsonl', 'pit-out.jsonl'));
    assert.equal(summary.written, 5);
    const rows = await readJsonl(join(dir, 'pit-out.jsonl'));
    assert.deepEqual(rows.map((r) => r.features.user_purchases), [null, 1, 3, 5, 5]);
    // p1's price moves from 14 to 20 at T0+8h.
    assert.deepEqual(rows.map((r) => r.features.log_price), [null, ...[14, 14, 20, 20].map((p) => Math.log1p(p) * 0.25)]);
    assert.deepEqual(summary.missingEntities, { user: 1, product: 1 });
    // Before any update, the declared default goes to the tensor: log_price is column 3.
    assert.equal(rows[0]!.tensors.features![3], -1);
    assert.equal(rows[2]!.features.category_affinity, 1, '3 of 3 purchases in yarn (the late update)');
    assert.equal(rows[0]!.event_time, new Date(T0 - HOUR_MS).toISOString());
  });

  test('with a TTL, an update older than ttlMs at the event time is missing, as in the store', async () => {
    await writeJsonl(join(dir, 'ttl.jsonl'), [event(T0 + 1 * HOUR_MS), event(T0 + 7 * HOUR_MS)]);
    const summary = await exportTrainingRows(options('ttl.jsonl', 'ttl-out.jsonl', { ttlMs: { user: 3 * HOUR_MS } }));
    const rows = await readJsonl(join(dir, 'ttl-out.jsonl'));
    // At T0+7h u1's update in force is from T0+2h: 5h old, past the 3h TTL.
    assert.deepEqual(rows.map((r) => r.features.user_purchases), [1, null]);
    assert.equal(summary.missingEntities.user, 1);
    assert.equal(rows[1]!.features.log_price, Math.log1p(14) * 0.25, 'products have no TTL');
  });

  test('writes training-stats.json and features.json beside the rows', async () => {
    await writeJsonl(join(dir, 'meta.jsonl'), [event(T0 + HOUR_MS), event(T0 + 2 * HOUR_MS, { product_id: 'p2', query: 'bamboo' })]);
    const summary = await exportTrainingRows(options('meta.jsonl', 'meta-out.jsonl'));
    const stats = JSON.parse(await readFile(summary.files.stats, 'utf8'));
    assert.equal(stats.format, 'skein-training-stats/1');
    assert.equal(stats.rows, 2);
    assert.equal(stats.features.log_price.kind, 'numeric');
    assert.equal(stats.features.query_text.kind, 'categorical');
    const loaded = await loadFeatureSet(join(dir, 'meta-out.jsonl.meta'));
    assert.equal(loaded.schemaHash, summary.schemaHash);
  });

  test('events without a time, a label or valid raw fields are skipped and counted with their line', async () => {
    await writeJsonl(join(dir, 'bad.jsonl'), [
      event(T0 + HOUR_MS),
      event(T0 + HOUR_MS, { time: 'yesterday' }),
      event(T0 + HOUR_MS, { label: null }),
      event(T0 + HOUR_MS, { query: 'q'.repeat(129) }),
      event(T0 + HOUR_MS, { locale: 'not a locale' }),
    ]);
    const summary = await exportTrainingRows(options('bad.jsonl', 'bad-out.jsonl'));
    assert.equal(summary.events, 5);
    assert.equal(summary.written, 1);
    assert.equal(summary.rejected, 4);
    assert.deepEqual(summary.rejects.map((r) => r.position), [2, 3, 4, 5]);
    assert.match(summary.rejects[2]!.reason, /field "query" is longer than 128/);
  });

  test('CSV output and Parquet input carry the same rows as JSONL', async () => {
    const events = [event(T0 + HOUR_MS, { query: 'Merino, "wool"' }), event(T0 + 3 * HOUR_MS, { user_id: 'u2', product_id: 'p2', query: 'bamboo needles', label: 0 })];
    await writeJsonl(join(dir, 'fmt.jsonl'), events);
    const columns = ['time', 'user_id', 'product_id', 'query', 'locale'] as const;
    await writeFile(join(dir, 'fmt.parquet'), parquetBytes([
      ...columns.map((c) => ({ name: c, kind: 'string' as const, values: events.map((e) => String(e[c])) })),
      { name: 'label', kind: 'double', values: events.map((e) => e.label as number) },
    ]));
    await exportTrainingRows(options('fmt.jsonl', 'fmt-out.jsonl'));
    await exportTrainingRows(options('fmt.parquet', 'fmt-out.csv', { out: { file: join(dir, 'fmt-out.csv'), format: 'csv' } }));
    const fromJsonl = await readJsonl(join(dir, 'fmt-out.jsonl'));
    const csv = parseCsv(await readFile(join(dir, 'fmt-out.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(csv.length, 2);
    assert.equal(csv[0]!.query_text, 'merino wool');
    assert.equal(csv[0]!['query[0]'], 'merino wool');
    assert.deepEqual(csv.map((r) => Number(r.label)), [1, 0]);
    fromJsonl.forEach((row, i) => {
      const width = row.tensors.features!.length;
      assert.deepEqual(Array.from({ length: width }, (_, k) => Number(csv[i]![`features[${k}]`])), row.tensors.features);
      assert.equal(Number(csv[i]!.log_price), row.features.log_price);
    });
  });
});

describe('parity: the exporter and the assembler give the same vectors', () => {
  // Every event comes after the last update, so the store's latest state is the state in force.
  const AFTER = T0 + 24 * HOUR_MS;
  const EVENTS: EventRow[] = [
    event(AFTER),
    event(AFTER + 1, { user_id: 'u2', product_id: 'p2', query: 'BAMBOO   needles!', locale: 'en-US' }),
    event(AFTER + 2, { product_id: 'p3', query: 'Café  straße 🧶 毛线', locale: 'fr_CA', time: iso(AFTER + 2, '-08:00') }),
    event(AFTER + 3, { user_id: 'nobody', product_id: 'p-none', query: '' }),
    event(AFTER + 4, { user_id: undefined, locale: undefined, query: 'ﬁne Ｙａｒｎ' }),
    event(AFTER + 5, { user_id: 42, product_id: 'p1', query: 'wool' }),
  ];

  for (const url of ['sqlite', 'redis'] as const) {
    test(`with a ${url === 'sqlite' ? 'SQLite' : 'Redis'} store loaded by ingest from the same logs`, async () => {
      await writeJsonl(join(dir, 'parity.jsonl'), EVENTS);
      await exportTrainingRows(options('parity.jsonl', 'parity-out.jsonl'));
      const exported = await readJsonl(join(dir, 'parity-out.jsonl'));
      const prefix = `test:fparity:${process.pid}:${Date.now()}`;
      const store = createFeatureStore({ url: url === 'sqlite' ? ':memory:' : 'redis://127.0.0.1:6379', keyPrefix: prefix });
      try {
        await ingestEntities({ store, entity: 'user', file: join(dir, 'users.jsonl'), idField: 'user_id', timeField: 'updated_at' });
        await ingestEntities({ store, entity: 'product', file: join(dir, 'products.csv'), idField: 'product_id', timeField: 'updated_at' });
        const { assemble } = createFeatureAssembler({ spec: SHOP_SPEC, store });
        // The raw rows as a client would send them: JSON, undefined fields absent.
        const served = await assemble(JSON.parse(JSON.stringify(EVENTS)) as unknown[]);
        assert.equal(exported.length, EVENTS.length);
        assert.deepEqual(served.vectors, exported.map((r) => r.features));
        const fp = served.tensors[0]!;
        const width = fp.shape[1]!;
        exported.forEach((r, i) => {
          assert.deepEqual(Array.from((fp.data as Float32Array).subarray(i * width, (i + 1) * width)), r.tensors.features);
        });
        assert.deepEqual(served.tensors[1]!.data, exported.map((r) => r.tensors.query![0]));
        assert.equal(served.vectors[3]!.user_purchases, null);
        assert.equal(served.vectors[5]!.user_purchases, null, 'user 42 does not exist');
      } finally {
        if (store.kind === 'redis') {
          const { Redis } = await import('ioredis');
          const redis = new Redis('redis://127.0.0.1:6379');
          const { deleteByPrefix } = await import('./features-fixtures.js');
          await deleteByPrefix(redis, prefix);
          redis.disconnect();
        }
        await store.close();
      }
    });
  }
});
