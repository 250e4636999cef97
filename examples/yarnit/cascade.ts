/**
 * The yarnit purchase cascade: logistic regression (purchase v1, 34 flops a row) answers the
 * impressions it is sure about, the MLP (purchase v2, 1 154 flops a row) the rest. Writes the
 * cascade's traffic.yaml and the held-out purchase rows as `skein cascade tune` validation data.
 *
 *   npx tsx examples/yarnit/cascade.ts --out-dir examples/yarnit/data [--seed 42]
 *
 * then, with the repository built (examples/yarnit/build.ts):
 *
 *   skein cascade tune --model-repository examples/yarnit/models --traffic examples/yarnit/data/traffic.yaml \
 *     --cascade purchase_cascade --validation examples/yarnit/data/purchase-validation.jsonl --target-accuracy 0.78
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateShop } from './data.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { PURCHASE_INPUT } from './onnx-export.js';

export const PURCHASE_CASCADE = 'purchase_cascade';
export const VALIDATION_FILE = 'purchase-validation.jsonl';
export const TRAFFIC_FILE = 'traffic.yaml';
/** Flops per row of purchase v1 and v2 (their metrics.json): the stages' relative costs. */
export const PURCHASE_STAGE_COSTS = [34, 1154] as const;

/** The last 20% of the shop's impressions are held out, as in repository.ts (TRAIN_SHARE 0.8). */
const TRAIN_SHARE = 0.8;

/** traffic.yaml declaring purchase_cascade; `margin` is the stage-0 rule, to be tuned. */
export function purchaseCascadeTraffic(margin = 0.3): string {
  return `# ${PURCHASE_CASCADE}: purchase v1 (logistic regression) answers when it is sure, that is when its
# probability is at least \`margin\` away from 0.5; purchase v2 (MLP) answers the rest.
# Written by examples/yarnit/cascade.ts. Tune the margin with \`skein cascade tune\` (docs/cascades.md).
# cost: flops per row, from each version's metrics.json.
cascades:
  - name: ${PURCHASE_CASCADE}
    stages:
      - model: purchase
        version: 1
        rule: { margin: ${margin} }
        cost: ${PURCHASE_STAGE_COSTS[0]}
      - model: purchase
        version: 2
        cost: ${PURCHASE_STAGE_COSTS[1]}
`;
}

/** The shortest decimal that reads back as the same float32, so the file is small and exact. */
function float32Text(v: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(v);
}

export interface HeldOutRows {
  /** Row-major, PURCHASE_FEATURE_COUNT values a row. */
  features: Float32Array;
  labels: Uint8Array;
}

/** The held-out purchase rows of the shop generated from `seed`. */
export function heldOutPurchaseRows(seed: number): HeldOutRows {
  const shop = generateShop(seed);
  const cut = Math.floor(shop.labels.length * TRAIN_SHARE);
  return { features: shop.features.slice(cut * PURCHASE_FEATURE_COUNT), labels: shop.labels.slice(cut) };
}

/** One JSON line per held-out row: {"inputs": {"features": [16 values]}, "label": 0|1}. */
export function purchaseValidationJsonl(rows: HeldOutRows): string {
  const lines: string[] = [];
  for (let r = 0; r < rows.labels.length; r++) {
    const values = Array.from(rows.features.subarray(r * PURCHASE_FEATURE_COUNT, (r + 1) * PURCHASE_FEATURE_COUNT), float32Text);
    lines.push(`{"inputs":{"${PURCHASE_INPUT}":[${values.join(',')}]},"label":${rows.labels[r]}}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface CascadeFiles {
  validationFile: string;
  trafficFile: string;
  rows: number;
}

export async function writeCascadeExample(outDir: string, seed: number): Promise<CascadeFiles> {
  await mkdir(outDir, { recursive: true });
  const rows = heldOutPurchaseRows(seed);
  const validationFile = join(outDir, VALIDATION_FILE);
  const trafficFile = join(outDir, TRAFFIC_FILE);
  await writeFile(validationFile, purchaseValidationJsonl(rows));
  await writeFile(trafficFile, purchaseCascadeTraffic());
  return { validationFile, trafficFile, rows: rows.labels.length };
}

const USAGE = 'usage: tsx examples/yarnit/cascade.ts --out-dir <dir> [--seed <integer>]';

async function main(): Promise<number> {
  let values: { 'out-dir'?: string; seed?: string };
  try {
    ({ values } = parseArgs({ options: { 'out-dir': { type: 'string' }, seed: { type: 'string', default: '42' } }, strict: true }));
  } catch {
    console.error(USAGE);
    return 2;
  }
  const seed = Number(values.seed);
  if (values['out-dir'] === undefined || !Number.isSafeInteger(seed)) {
    console.error(USAGE);
    return 2;
  }
  const files = await writeCascadeExample(resolve(values['out-dir']), seed);
  console.log(`yarnit: wrote ${files.rows} held-out rows to ${files.validationFile} and ${PURCHASE_CASCADE} to ${files.trafficFile}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
