/**
 * What a server needs to answer raw-field requests for yarnit: the feature store (the latest
 * user and product values, ingested from the entity logs exactly as `skein features ingest`
 * does) and a few ready raw requests with real ids.
 *
 *   data/features.sqlite       serve with --feature-store <data>/features.sqlite
 *   data/raw-requests.jsonl    one raw row per line: query, user_id, product_id, locale, time
 *
 * A rebuild ingests into the existing store in place, the way any ingest runs (latest wins, per
 * id), so a server holding the file open sees the new values at once; SQLite's WAL lets it read
 * while the build writes. The log times are fixed dates and the ids u0…, p0…, so re-ingesting
 * (with any seed) replaces every stored row, as a fresh store would hold them.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFeatureStore, ingestEntities, type IngestSummary } from '../../src/features/index.js';
import type { FeatureLogs } from './feature-logs.js';
import type { EntityLogFiles } from './training-rows.js';
import { trainCut } from './training-rows.js';

export const FEATURE_STORE_FILE = 'features.sqlite';
export const RAW_REQUESTS_FILE = 'raw-requests.jsonl';
/** Raw requests taken from the held-out events, after the one hand-written example. */
const HELD_OUT_REQUESTS = 5;
/** The raw fields of a purchase (and query_category) request; the log's label is not one. */
export const RAW_FIELDS = ['query', 'user_id', 'product_id', 'locale', 'time'] as const;

/** The request README.md shows; u123 and p9 exist in every shop (400 users, 300 products). */
const FIRST_REQUEST = { query: 'merino wool yarn', user_id: 'u123', product_id: 'p9', locale: 'en-US', time: '2024-06-02T10:00:00+02:00' };

export interface ServingData {
  store: string;
  rawRequests: string;
  ingested: { user: IngestSummary; product: IngestSummary };
}

/** An event of the log as the raw row a client would send: its raw fields only. */
export function rawRowOf(event: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(RAW_FIELDS.filter((f) => event[f] !== undefined).map((f) => [f, event[f]]));
}

/** Ingests the entity logs into `<dataDir>/features.sqlite` and writes raw-requests.jsonl beside it. */
export async function writeServingData(dataDir: string, logs: FeatureLogs, entityFiles: EntityLogFiles): Promise<ServingData> {
  await mkdir(dataDir, { recursive: true });
  const storePath = join(dataDir, FEATURE_STORE_FILE);
  const store = createFeatureStore({ url: storePath });
  let ingested: ServingData['ingested'];
  try {
    ingested = {
      user: await ingestEntities({ store, entity: 'user', file: entityFiles.users, idField: 'user_id', timeField: 'updated_at' }),
      product: await ingestEntities({ store, entity: 'product', file: entityFiles.products, idField: 'product_id', timeField: 'updated_at' }),
    };
  } finally {
    await store.close();
  }
  for (const [entity, summary] of Object.entries(ingested)) {
    if (summary.rejected > 0) throw new Error(`yarnit: ${summary.rejected} ${entity} log rows were rejected: ${JSON.stringify(summary.rejects)}`);
  }
  const heldOut = logs.events.slice(trainCut(logs.events.length), trainCut(logs.events.length) + HELD_OUT_REQUESTS);
  const rows = [FIRST_REQUEST, ...heldOut.map(rawRowOf)];
  // Written last and renamed into place: its presence says the store was ingested completely.
  const rawRequests = join(dataDir, RAW_REQUESTS_FILE);
  const temp = `${rawRequests}.tmp-${process.pid}`;
  await writeFile(temp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await rename(temp, rawRequests);
  return { store: storePath, rawRequests, ingested };
}
