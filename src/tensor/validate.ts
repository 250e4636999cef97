import { ServingError } from '../errors/index.js';
import type { Signature, Tensor, TensorSpec } from './types.js';
import { formatShape, quoteName } from './header.js';

export interface ValidateOptions {
  /** > 0: dimension 0 of every input is the batch dimension, at most this large. 0: no batching. */
  maxBatchSize: number;
}

/**
 * Checks decoded inputs against a version's signature and returns them in the signature's input
 * order, which is what runtimes and batchKeyOf rely on. Name errors come first (a misspelt input
 * is more useful to report than a shape error on the others).
 */
export function validateInputs(inputs: Tensor[], signature: Signature, opts: ValidateOptions): Tensor[] {
  const byName = new Map<string, Tensor>();
  const expected = new Set(signature.inputs.map((s) => s.name));
  for (const t of inputs) {
    if (byName.has(t.name)) {
      throw new ServingError('DUPLICATE_INPUT', `input ${quoteName(t.name)} appears more than once`);
    }
    if (!expected.has(t.name)) {
      throw new ServingError(
        'UNKNOWN_INPUT',
        `the model has no input ${quoteName(t.name)}; its inputs are ${listNames(signature.inputs)}`,
      );
    }
    byName.set(t.name, t);
  }
  const ordered = signature.inputs.map((spec) => {
    const t = byName.get(spec.name);
    if (t === undefined) throw new ServingError('MISSING_INPUT', `input ${quoteName(spec.name)} is required`);
    checkAgainstSpec(t, spec);
    return t;
  });
  if (opts.maxBatchSize > 0) checkBatch(ordered, opts.maxBatchSize);
  return ordered;
}

function checkAgainstSpec(t: Tensor, spec: TensorSpec): void {
  const q = quoteName(t.name);
  if (t.datatype !== spec.datatype) {
    throw new ServingError('INVALID_DATATYPE', `input ${q} expects ${spec.datatype}, got ${t.datatype}`);
  }
  const fits = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === t.shape[i]);
  if (!fits) {
    throw new ServingError(
      'INVALID_SHAPE',
      `input ${q} expects shape ${formatShape(spec.shape)}, got ${formatShape(t.shape)}`,
    );
  }
  // onnxruntime string tensors end at the first NUL and would silently drop the rest of a value.
  if (t.datatype === 'BYTES' && (t.data as string[]).some((v) => v.includes('\u0000'))) {
    throw new ServingError('INVALID_DATA', `input ${q}: BYTES values may not contain NUL (\\u0000); the runtime would cut them there`);
  }
}

function checkBatch(inputs: Tensor[], maxBatchSize: number): void {
  const first = inputs[0];
  if (first === undefined) return;
  const batch = first.shape[0];
  for (const t of inputs) {
    if (t.shape.length === 0 || t.shape[0] !== batch) {
      throw new ServingError(
        'INVALID_SHAPE',
        `every input needs the same batch size (dimension 0): input ${quoteName(t.name)} has shape ${formatShape(t.shape)}, input ${quoteName(first.name)} has ${formatShape(first.shape)}`,
      );
    }
  }
  if (batch === undefined || batch < 1) {
    throw new ServingError('INVALID_SHAPE', 'the batch size (dimension 0 of every input) must be at least 1');
  }
  if (batch > maxBatchSize) {
    throw new ServingError(
      'TOO_MANY_ELEMENTS',
      `the batch size (dimension 0) is ${batch}; this model takes at most ${maxBatchSize} per request`,
    );
  }
}

/** Requested output names must be outputs of the signature, each named once. */
export function validateRequestedOutputs(names: string[], signature: Signature): void {
  const known = new Set(signature.outputs.map((s) => s.name));
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.has(name)) {
      throw new ServingError(
        'UNKNOWN_OUTPUT',
        `the model has no output ${quoteName(name)}; its outputs are ${listNames(signature.outputs)}`,
      );
    }
    if (seen.has(name)) throw new ServingError('INVALID_REQUEST', `output ${quoteName(name)} is requested more than once`);
    seen.add(name);
  }
}

/**
 * Equal for two validated requests exactly when their inputs stack along dimension 0: same names,
 * datatypes and non-batch dimensions, in signature order (validateInputs' output).
 */
export function batchKeyOf(inputs: Tensor[]): string {
  // Built once per request, so plain concatenation; the length prefix keeps any name unambiguous.
  let key = '';
  for (const t of inputs) {
    key += `${t.name.length}:${t.name}|${t.datatype}|`;
    for (let d = 1; d < t.shape.length; d++) key += `${t.shape[d]},`;
    key += ';';
  }
  return key;
}

function listNames(specs: TensorSpec[]): string {
  const shown = specs.slice(0, 16).map((s) => quoteName(s.name)).join(', ');
  return specs.length > 16 ? `${shown}, …` : shown;
}
