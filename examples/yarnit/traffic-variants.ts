/**
 * Extra purchase versions for the traffic walkthrough (docs/traffic.md, README):
 *
 *   tsx examples/yarnit/traffic-variants.ts --out examples/yarnit/models --version 3 --kind mlp64
 *   tsx examples/yarnit/traffic-variants.ts --out examples/yarnit/models --version 4 --kind broken
 *
 * mlp64:  a wider MLP (16→64→1) trained like version 2: a third arm for an A/B/n experiment.
 * broken: the purchase signature, passes warmup (zero-filled rows), then fails on every real row:
 *         a canary that a rollout must roll back by itself.
 * Each version is written to a hidden directory and renamed into place (a polling server never
 * sees half a version).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createGraphBuilder } from '../../src/builder/index.js';
import { generateShop } from './data.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { PURCHASE_INPUT, PURCHASE_OUTPUT, purchaseOnnx } from './onnx-export.js';
import { trainDense } from './train-purchase.js';

export type VariantKind = 'mlp64' | 'broken';

/** Same inputs and outputs as every purchase version; every row with a non-zero feature fails inside onnxruntime. */
export function brokenPurchaseOnnx(version: number): Uint8Array {
  return createGraphBuilder({ name: 'purchase', modelVersion: version, docString: 'yarnit purchase: broken on purpose (traffic walkthrough)' })
    .input(PURCHASE_INPUT, 'FP32', ['batch', PURCHASE_FEATURE_COUNT])
    .initializer('zeros', 'FP32', [PURCHASE_FEATURE_COUNT, 1], new Float32Array(PURCHASE_FEATURE_COUNT))
    .initializer('table', 'FP32', [2], [0.5, 0.5])
    .initializer('scale', 'FP32', [], [1e6])
    .node('Abs', [PURCHASE_INPUT], ['magnitude'])
    .node('ReduceSum', ['magnitude'], ['total'], { keepdims: 0 })
    .node('Mul', ['total', 'scale'], ['scaled'])
    .node('Cast', ['scaled'], ['index'], { to: 7 })
    // Index 0 (all-zero warmup rows) is in range; any real row indexes far outside the table.
    .node('Gather', ['table', 'index'], ['half'])
    .node('MatMul', [PURCHASE_INPUT, 'zeros'], ['nothing'])
    .node('Add', ['nothing', 'half'], [PURCHASE_OUTPUT])
    .output(PURCHASE_OUTPUT, 'FP32', ['batch', 1])
    .toBytes();
}

export function variantOnnx(kind: VariantKind, version: number, seed = 42): Uint8Array {
  if (kind === 'broken') return brokenPurchaseOnnx(version);
  const shop = generateShop(seed);
  const cut = Math.floor(shop.labels.length * 0.8);
  const model = trainDense(shop.features.subarray(0, cut * PURCHASE_FEATURE_COUNT), shop.labels.subarray(0, cut), PURCHASE_FEATURE_COUNT, {
    hidden: [64], epochs: 12, learningRate: 0.005, l2: 1e-5, batchRows: 64, seed: seed + version,
  });
  return purchaseOnnx(model, version, 'yarnit purchase likelihood, mlp_relu_64');
}

export async function writeVariant(repo: string, kind: VariantKind, version: number): Promise<string> {
  const modelDir = join(repo, 'purchase');
  const temp = join(modelDir, `.tmp-${version}-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  await writeFile(join(temp, 'model.onnx'), variantOnnx(kind, version));
  const target = join(modelDir, String(version));
  await rm(target, { recursive: true, force: true });
  await rename(temp, target);
  return target;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' } }, strict: true });
  const version = Number(values.version);
  if (!values.out || !Number.isSafeInteger(version) || version < 1 || (values.kind !== 'mlp64' && values.kind !== 'broken')) {
    console.error('usage: tsx examples/yarnit/traffic-variants.ts --out <repo> --version <n> --kind mlp64|broken');
    return 2;
  }
  const dir = await writeVariant(resolve(values.out), values.kind, version);
  console.log(`yarnit: wrote ${values.kind} purchase version ${version} to ${dir}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('traffic-variants.ts')) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
