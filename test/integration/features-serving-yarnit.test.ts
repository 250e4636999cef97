/**
 * Exporter/server parity on the yarnit shop (issue 6, items 4 and 7): `exportTrainingRows` writes
 * the training rows of the purchase feature set (and features.json and training-stats.json, into
 * the model version's directory, as a release would); the entity logs are ingested into a SQLite
 * feature store; a real server answers 1,000 held-out events as raw fields. The version's model is
 * an identity over the 16 columns, so its answer is exactly the tensor the server assembled, and it
 * must equal the exported row's tensor, value for value.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { purchaseFeatureSet } from '../../examples/yarnit/feature-set.js';
import { writeFeatureLogs } from '../../examples/yarnit/feature-logs.js';
import { PURCHASE_INPUT } from '../../examples/yarnit/onnx-export.js';
import { createFeatureStore, exportTrainingRows, ingestEntities, parseInstantMs } from '../../src/features/index.js';
import { createGraphBuilder } from '../../src/builder/index.js';
import { writeModel } from '../helpers/models.js';
import { getJson, postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const EXAMPLES = 1000;
const ROWS_PER_REQUEST = 50;
const WIDTH = 16;

let work: string;
let server: TestServer;
let events: Record<string, unknown>[];
let exported: { tensors: Record<string, number[]> }[];

/** The latest update time of each entity id in a log (ISO text or epoch milliseconds). */
function lastUpdates(rows: readonly Record<string, unknown>[], idField: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const id = String(r[idField]);
    const at = typeof r.updated_at === 'number' ? r.updated_at : parseInstantMs(String(r.updated_at))!;
    out.set(id, Math.max(out.get(id) ?? -Infinity, at));
  }
  return out;
}

function readJsonl(text: string): Record<string, unknown>[] {
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function readCsv(text: string): Record<string, unknown>[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = header!.split(',');
  const at = { id: columns.indexOf('product_id'), time: columns.indexOf('updated_at') };
  // Only the id and the time are read here; both are plain cells before any quoted JSON.
  return lines.map((l) => {
    const cells = l.split(',');
    return { product_id: cells[at.id], updated_at: Number(cells[at.time]) };
  });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skein-features-serving-yarnit-'));
  const logs = await writeFeatureLogs(join(work, 'logs'));
  const storePath = join(work, 'features.sqlite');
  const store = createFeatureStore({ url: storePath });
  try {
    await ingestEntities({ store, entity: 'user', file: logs.users, idField: 'user_id', timeField: 'updated_at' });
    await ingestEntities({ store, entity: 'product', file: logs.products, idField: 'product_id', timeField: 'updated_at' });
  } finally {
    await store.close();
  }
  const repo = await tempRepo();
  const echo = createGraphBuilder({ name: 'echo' }).input(PURCHASE_INPUT, 'FP32', ['batch', WIDTH]).node('Identity', [PURCHASE_INPUT], ['echo'])
    .output('echo', 'FP32', ['batch', WIDTH]).toBytes();
  await writeModel(repo, 'purchase', 1, echo);
  const rowsFile = join(work, 'train', 'rows.jsonl');
  const summary = await exportTrainingRows({
    spec: purchaseFeatureSet,
    events: { file: logs.events },
    entityLogs: { user: { file: logs.users, timeField: 'updated_at' }, product: { file: logs.products, timeField: 'updated_at' } },
    out: { file: rowsFile, format: 'jsonl', metaDir: join(repo, 'purchase', '1') },
    labelField: 'purchased',
    timeField: 'time',
  });
  events = readJsonl(await readFile(logs.events, 'utf8'));
  assert.equal(summary.rejected, 0);
  assert.equal(summary.written, events.length, 'one exported row per event, in order');
  exported = readJsonl(await readFile(rowsFile, 'utf8')) as { tensors: Record<string, number[]> }[];
  const users = lastUpdates(readJsonl(await readFile(logs.users, 'utf8')), 'user_id');
  const products = lastUpdates(readCsv(await readFile(logs.products, 'utf8')), 'product_id');
  // The store serves the latest values, the export the ones in force at the event: they agree
  // for events after the last update of their user and product.
  const eligible = events.map((e, i) => [e, i] as const).filter(([e]) => {
    const at = parseInstantMs(String(e.time))!;
    return (users.get(String(e.user_id)) ?? -Infinity) <= at && (products.get(String(e.product_id)) ?? -Infinity) <= at;
  });
  assert.ok(eligible.length >= EXAMPLES, `${eligible.length} events without later updates`);
  const step = eligible.length / EXAMPLES;
  const chosen = Array.from({ length: EXAMPLES }, (_, k) => eligible[Math.floor(k * step)]![1]);
  events = chosen.map((i) => events[i]!);
  exported = chosen.map((i) => exported[i]!);
  server = await startTestServer(repo, { featureStore: storePath });
});

after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

test('1,000 yarnit events: the server feeds the model exactly the tensors the exporter wrote', async () => {
  let compared = 0;
  for (let start = 0; start < EXAMPLES; start += ROWS_PER_REQUEST) {
    const rows = events.slice(start, start + ROWS_PER_REQUEST).map(({ purchased: _label, ...raw }) => raw);
    const reply = await postJson(`${server.url}/v2/models/purchase/infer-raw`, { rows });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.parameters.feature_set, 'purchase');
    const data: number[] = reply.body.outputs[0].data;
    rows.forEach((_, i) => {
      const want = exported[start + i]!.tensors[PURCHASE_INPUT]!;
      assert.deepEqual(data.slice(i * WIDTH, (i + 1) * WIDTH), want, `event ${start + i}`);
      compared++;
    });
  }
  assert.equal(compared, EXAMPLES);
  // The exporter's training-stats.json is the version's: the served vectors reached its monitor.
  const skew = await getJson(`${server.url}/v2/models/purchase/skew`);
  assert.equal(skew.status, 200);
  assert.equal(skew.body.skew.samples, EXAMPLES);
});
