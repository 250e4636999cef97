/**
 * The model the serve bench drives: either an mlp_small-sized MLP built here with Skein's graph
 * builder (default), or the yarnit purchase MLP when it has been built. Either is written into a
 * temporary model repository that both servers load from.
 */
import { access, copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraphBuilder, floatAttr } from '../../src/builder/index.js';
import { PURCHASE_FEATURE_COUNT } from '../../examples/yarnit/features.js';
import { PURCHASE_INPUT } from '../../examples/yarnit/onnx-export.js';

export interface BenchModel {
  /** What the output calls the model, e.g. 'mlp_small FP32 [batch,256]→512→512→1'. */
  label: string;
  /** Model name in the repository (the URL path segment). */
  name: string;
  version: number;
  repoDir: string;
  filePath: string;
  inputName: string;
  features: number;
}

export { seededRandom } from '../../src/util/index.js';
import { seededRandom } from '../../src/util/index.js';

export type ModelChoice = 'mlp_small' | 'yarnit';

const YARNIT_PURCHASE = 'examples/yarnit/models/purchase/2/model.onnx';
const MLP_INPUTS = 256;
const MLP_HIDDEN = 512;

function weights(random: () => number, rows: number, cols: number): Float32Array {
  // He-style scale keeps activations in range through the ReLUs, so the output is not all 0 or 1.
  const scale = Math.sqrt(2 / cols);
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * scale;
  return w;
}

/** FP32 x [batch,256] → Gemm+Relu 512 → Gemm+Relu 512 → Gemm 1 → Sigmoid y [batch,1] (1.6 MB). */
export function mlpSmallModel(seed = 7): Uint8Array {
  const random = seededRandom(seed);
  const layers = [[MLP_HIDDEN, MLP_INPUTS], [MLP_HIDDEN, MLP_HIDDEN], [1, MLP_HIDDEN]] as const;
  const g = createGraphBuilder({ name: 'mlp_small' }).input('x', 'FP32', ['batch', MLP_INPUTS]);
  let current = 'x';
  layers.forEach(([outputs, inputs], l) => {
    g.initializer(`w${l}`, 'FP32', [outputs, inputs], weights(random, outputs, inputs))
      .initializer(`b${l}`, 'FP32', [outputs], new Float32Array(outputs).fill(0.01))
      .node('Gemm', [current, `w${l}`, `b${l}`], [`gemm${l}`], { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) });
    current = `gemm${l}`;
    if (l + 1 < layers.length) {
      g.node('Relu', [current], [`relu${l}`]);
      current = `relu${l}`;
    }
  });
  return g.node('Sigmoid', [current], ['y']).output('y', 'FP32', ['batch', 1]).toBytes();
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/**
 * Writes the chosen model (and its config.yaml when given) into a fresh temporary repository. The yarnit choice fails with a
 * message naming the command that builds it when it is missing.
 */
export async function prepareModel(choice: ModelChoice, configYaml?: string): Promise<BenchModel> {
  const repoDir = await mkdtemp(join(tmpdir(), 'skein-bench-'));
  const name = choice === 'yarnit' ? 'purchase' : 'mlp_small';
  if (configYaml !== undefined) {
    await mkdir(join(repoDir, name), { recursive: true });
    await writeFile(join(repoDir, name, 'config.yaml'), configYaml);
  }
  if (choice === 'yarnit') {
    if (!(await exists(YARNIT_PURCHASE))) {
      throw new Error(`${YARNIT_PURCHASE} is missing; build it with 'npm run build && npm run examples', or use BENCH_MODEL=mlp_small`);
    }
    const dir = join(repoDir, 'purchase', '2');
    await mkdir(dir, { recursive: true });
    const filePath = join(dir, 'model.onnx');
    await copyFile(YARNIT_PURCHASE, filePath);
    return {
      label: `yarnit purchase v2 FP32 [batch,${PURCHASE_FEATURE_COUNT}] MLP`,
      name: 'purchase', version: 2, repoDir, filePath, inputName: PURCHASE_INPUT, features: PURCHASE_FEATURE_COUNT,
    };
  }
  const dir = join(repoDir, 'mlp_small', '1');
  await mkdir(dir, { recursive: true });
  const filePath = join(dir, 'model.onnx');
  await writeFile(filePath, mlpSmallModel());
  return {
    label: `mlp_small FP32 [batch,${MLP_INPUTS}]→${MLP_HIDDEN}→${MLP_HIDDEN}→1 (Gemm+Relu, Sigmoid)`,
    name: 'mlp_small', version: 1, repoDir, filePath, inputName: 'x', features: MLP_INPUTS,
  };
}

/** One OIP JSON infer body of `rows` rows of float32 values, as a client would send them. */
export function inferBody(model: BenchModel, rows: number, seed = 11): string {
  const random = seededRandom(seed);
  const data = Array.from({ length: rows * model.features }, () => Math.fround(random() * 2 - 1));
  return JSON.stringify({ inputs: [{ name: model.inputName, shape: [rows, model.features], datatype: 'FP32', data }] });
}
