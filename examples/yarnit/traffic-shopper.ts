/**
 * Simulated yarnit shoppers against a running server, for the traffic walkthrough: each session
 * searches, the purchase model scores a shelf of candidate products (one request, one row per
 * candidate), the top product is shown (an `impression` event) and bought with the shop's hidden
 * purchase probability (a `purchase` event whose value is the price). A better ranker sells more,
 * so an A/B/n experiment's report shows the difference.
 *
 *   tsx examples/yarnit/traffic-shopper.ts --url http://127.0.0.1:8000 --sessions 3000
 *
 * The unit id is the shop's synthetic user id (already pseudonymous). SKEIN_TOKEN, when set, is
 * sent as a bearer token.
 */
import { parseArgs } from 'node:util';
import { makeQuery, generateShop, purchaseLogit } from './data.js';
import { purchaseFeatures, PURCHASE_FEATURE_COUNT } from './features.js';
import { createRng } from './prng.js';
import { CATEGORY_NAMES } from './catalog.js';

export interface ShopperOptions {
  url: string;
  model?: string;
  sessions: number;
  seed?: number;
  /** Products scored per search. */
  candidates?: number;
  /** Feedback events per POST /v2/feedback. */
  feedbackBatch?: number;
}

export interface ShopperSummary {
  sessions: number;
  errors: number;
  purchases: number;
  revenueUsd: number;
  /** Sessions per answering version and per arm (when an experiment assigned one). */
  byVersion: Record<string, number>;
  byArm: Record<string, number>;
  /** Sessions a fallback or a stable retry answered. */
  fallbacks: number;
  retriedOnStable: number;
}

function headers(): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.SKEIN_TOKEN) h.authorization = `Bearer ${process.env.SKEIN_TOKEN}`;
  return h;
}

export async function simulateShoppers(o: ShopperOptions): Promise<ShopperSummary> {
  const shop = generateShop(42);
  const rng = createRng(o.seed ?? 7);
  const model = o.model ?? 'purchase';
  const k = o.candidates ?? 6;
  const byCategory = CATEGORY_NAMES.map((name) => shop.products.filter((p) => p.category === name));
  const summary: ShopperSummary = { sessions: 0, errors: 0, purchases: 0, revenueUsd: 0, byVersion: {}, byArm: {}, fallbacks: 0, retriedOnStable: 0 };
  let events: unknown[] = [];
  const flush = async () => {
    if (events.length === 0) return;
    const res = await fetch(`${o.url}/v2/feedback`, { method: 'POST', headers: headers(), body: JSON.stringify({ events }) });
    if (!res.ok) throw new Error(`feedback refused: ${res.status} ${await res.text()}`);
    events = [];
  };
  for (let s = 0; s < o.sessions; s++) {
    const user = rng.pick(shop.users);
    const intent = rng.weighted(user.affinity);
    const query = makeQuery(rng, intent);
    const shelf = byCategory[intent]!;
    const products = Array.from({ length: k }, (_, i) => (i < k - 2 && shelf.length > 0 ? rng.pick(shelf) : rng.pick(shop.products)));
    const hourOfDay = rng.int(24);
    const dayOfWeek = rng.int(7);
    const rows = products.map((product) => purchaseFeatures({ query, product, user, hourOfDay, dayOfWeek }));
    const data = rows.flatMap((r) => Array.from(r));
    const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [k, PURCHASE_FEATURE_COUNT], data }], parameters: { unit_id: user.id } };
    const res = await fetch(`${o.url}/v2/models/${model}/infer`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    summary.sessions++;
    const reply = await res.json() as { model_version?: string; parameters?: Record<string, unknown>; outputs?: { data: number[] }[] };
    if (!res.ok || !reply.outputs) {
      summary.errors++;
      continue;
    }
    const p = reply.parameters ?? {};
    summary.byVersion[String(reply.model_version)] = (summary.byVersion[String(reply.model_version)] ?? 0) + 1;
    if (typeof p.arm === 'string') summary.byArm[p.arm] = (summary.byArm[p.arm] ?? 0) + 1;
    if (p.fallback === true) summary.fallbacks++;
    if (p.retried_on_stable === true) summary.retriedOnStable++;
    const scores = reply.outputs[0]!.data;
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    const id = p.prediction_id;
    const bought = rng.next() < 1 / (1 + Math.exp(-purchaseLogit(rows[best]!)));
    if (bought) {
      summary.purchases++;
      summary.revenueUsd += products[best]!.priceUsd;
    }
    if (typeof id !== 'string') continue;
    events.push({ prediction_id: id, type: 'impression' });
    if (bought) events.push({ prediction_id: id, type: 'purchase', value: products[best]!.priceUsd });
    if (events.length >= (o.feedbackBatch ?? 200)) await flush();
  }
  await flush();
  return summary;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { url: { type: 'string', default: 'http://127.0.0.1:8000' }, sessions: { type: 'string', default: '2000' }, model: { type: 'string', default: 'purchase' }, seed: { type: 'string', default: '7' } },
    strict: true,
  });
  const sessions = Number(values.sessions);
  if (!Number.isSafeInteger(sessions) || sessions < 1) {
    console.error('usage: tsx examples/yarnit/traffic-shopper.ts [--url URL] [--sessions N] [--model purchase] [--seed N]');
    return 2;
  }
  const summary = await simulateShoppers({ url: values.url!, sessions, model: values.model!, seed: Number(values.seed) });
  console.log(JSON.stringify(summary, null, 2));
  return summary.errors > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith('traffic-shopper.ts')) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
