import { ServingError } from '../errors/index.js';
import { quoteName, type Tensor } from '../tensor/index.js';
import type { CascadeRule } from './config.js';

/**
 * A cascade stage's confidence rule, as pure functions over the stage's output tensors. Serving
 * (does this request escalate?) and `skein cascade tune` (which threshold to write) both score
 * rows here, so a threshold tuned offline means the same thing at serving time.
 *
 *   topProbability t: a row is confident when its largest value is ≥ t (multiclass).
 *   margin m:         a row is confident when |p − 0.5| ≥ m, p the row's first value (binary).
 *
 * Rows are the output's first dimension; a row's values are the product of the others.
 */

export type RuleKind = 'topProbability' | 'margin';

export function ruleKind(rule: CascadeRule): RuleKind {
  return 'topProbability' in rule ? 'topProbability' : 'margin';
}

export function ruleThreshold(rule: CascadeRule): number {
  return 'topProbability' in rule ? rule.topProbability : rule.margin;
}

/** The largest threshold a rule of this kind accepts (RuleSchema's bound): 1, or 0.5 for margin. */
export function maxThreshold(kind: RuleKind): number {
  return kind === 'topProbability' ? 1 : 0.5;
}

/** The rule with its threshold replaced (what `skein cascade tune` recommends). */
export function withThreshold(rule: CascadeRule, threshold: number): CascadeRule {
  return 'topProbability' in rule ? { ...rule, topProbability: threshold } : { ...rule, margin: threshold };
}

/**
 * The name of the output a rule reads: its `output`, else the model's first output (in signature
 * order when `signatureOutputs` is given, else the first tensor of `outputs`).
 */
export function ruleOutputName(rule: CascadeRule, outputs: readonly Tensor[], signatureOutputs?: readonly string[]): string {
  if (rule.output !== undefined) {
    if (signatureOutputs !== undefined && !signatureOutputs.includes(rule.output)) {
      throw new ServingError('INVALID_CONFIG', `cascade rule reads output ${quoteName(rule.output)}, which the stage's model does not have (it has ${signatureOutputs.map(quoteName).join(', ')})`);
    }
    return rule.output;
  }
  const first = signatureOutputs?.[0] ?? outputs[0]?.name;
  if (first === undefined) throw new ServingError('INFERENCE_FAILED', 'the cascade stage returned no outputs to score');
  return first;
}

function fp16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bf16View = new DataView(new ArrayBuffer(4));
function bf16ToNumber(bits: number): number {
  bf16View.setUint32(0, bits << 16);
  return bf16View.getFloat32(0);
}

/** The output's values as doubles, and its row layout; a clear error when it cannot be scored. */
export function numericRows(tensor: Tensor): { values: ArrayLike<number>; rows: number; width: number } {
  const name = quoteName(tensor.name);
  if (tensor.datatype === 'BYTES') {
    throw new ServingError('INVALID_CONFIG', `cascade rule reads output ${name}, which is BYTES; point the rule's \`output\` at a numeric (probability) output`);
  }
  if (tensor.shape.length === 0) throw new ServingError('INFERENCE_FAILED', `output ${name} has no batch dimension, so its rows cannot be scored`);
  const rows = tensor.shape[0]!;
  let width = 1;
  for (const d of tensor.shape.slice(1)) width *= d;
  if (tensor.data.length !== rows * width) {
    throw new ServingError('INFERENCE_FAILED', `output ${name} holds ${tensor.data.length} values, not the ${rows * width} its shape [${tensor.shape.join(', ')}] says`);
  }
  if (rows > 0 && width === 0) throw new ServingError('INFERENCE_FAILED', `output ${name} has no values per row to score`);
  const data = tensor.data;
  let values: ArrayLike<number>;
  if (tensor.datatype === 'FP16' || tensor.datatype === 'BF16') {
    const decode = tensor.datatype === 'FP16' ? fp16ToNumber : bf16ToNumber;
    values = Float64Array.from(data as Uint16Array, decode);
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    values = Float64Array.from(data, Number);
  } else {
    values = data as Exclude<typeof data, string[] | BigInt64Array | BigUint64Array>;
  }
  return { values, rows, width };
}

function findOutput(rule: CascadeRule, outputs: readonly Tensor[], signatureOutputs?: readonly string[]): Tensor {
  const name = ruleOutputName(rule, outputs, signatureOutputs);
  const tensor = outputs.find((t) => t.name === name);
  if (!tensor) throw new ServingError('INFERENCE_FAILED', `the cascade stage did not return output ${quoteName(name)}, which its rule reads`);
  return tensor;
}

/**
 * Per row, the confidence score the rule compares with its threshold: the row's largest value
 * (topProbability) or |p − 0.5| (margin). A NaN value scores NaN, which no threshold accepts.
 */
export function rowConfidence(rule: CascadeRule, outputs: readonly Tensor[], signatureOutputs?: readonly string[]): Float64Array {
  const { values, rows, width } = numericRows(findOutput(rule, outputs, signatureOutputs));
  const scores = new Float64Array(rows);
  if ('margin' in rule) {
    for (let r = 0; r < rows; r++) scores[r] = Math.abs(values[r * width]! - 0.5);
    return scores;
  }
  for (let r = 0; r < rows; r++) {
    let top = -Infinity;
    for (let j = 0; j < width; j++) {
      const v = values[r * width + j]!;
      // NaN anywhere in the row makes the row's score NaN: a broken row is never confident.
      if (Number.isNaN(v)) {
        top = NaN;
        break;
      }
      if (v > top) top = v;
    }
    scores[r] = top;
  }
  return scores;
}

/** Per row, whether the stage may answer it: score ≥ the rule's threshold. */
export function acceptedRows(rule: CascadeRule, outputs: readonly Tensor[], signatureOutputs?: readonly string[]): boolean[] {
  const threshold = ruleThreshold(rule);
  return Array.from(rowConfidence(rule, outputs, signatureOutputs), (s) => s >= threshold);
}

/**
 * Per row, the class the stage predicts from the rule's output: 1 when p ≥ 0.5 else 0 (margin),
 * the index of the largest value (topProbability; the first on ties).
 */
export function rowPredictions(rule: CascadeRule, outputs: readonly Tensor[], signatureOutputs?: readonly string[]): Int32Array {
  const { values, rows, width } = numericRows(findOutput(rule, outputs, signatureOutputs));
  const predicted = new Int32Array(rows);
  const binary = 'margin' in rule;
  for (let r = 0; r < rows; r++) {
    if (binary) {
      predicted[r] = values[r * width]! >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < width; j++) if (values[r * width + j]! > values[r * width + best]!) best = j;
    predicted[r] = best;
  }
  return predicted;
}
