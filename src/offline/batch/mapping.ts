import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ServingError } from '../../errors/index.js';
import { elementCount } from '../../tensor/index.js';
import type { DataType, Signature, TensorSpec } from '../../tensor/index.js';
import { SUPPORTED_DATATYPES } from './encode.js';
import { BATCH_CODES, quoteName } from './errors.js';

/**
 * Which columns feed which model input. Without a mapping file, each input reads the column of
 * its own name. A mapping file (YAML or JSON) names, per input, either one column (a scalar, or
 * a JSON array of the row's values) or a list of scalar columns in row-major order:
 *   inputs: { features: [col1, col2, …, col16] }
 */
export interface InputMapping {
  inputs: Record<string, string | string[]>;
}

const MappingSchema = z.strictObject({
  inputs: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(65_536)])),
});

export function parseMapping(text: string): InputMapping {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch {
    throw new ServingError(BATCH_CODES.usage, '--mapping is not valid YAML or JSON');
  }
  const parsed = MappingSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ServingError(BATCH_CODES.usage, '--mapping must be {inputs: {<input>: <column> | [<column>, …]}}');
  }
  return parsed.data;
}

/** How one model input is read from a row. */
export interface InputPlan {
  name: string;
  datatype: DataType;
  /** Shape of one row's value: the input's shape without its batch dimension. */
  rowShape: number[];
  /** Elements per row. */
  width: number;
  /** Column positions: one (scalar or JSON array) or `width` scalar columns. */
  columns: number[];
  columnNames: string[];
}

function batchable(spec: TensorSpec): boolean {
  return spec.shape.length > 0 && spec.shape[0] === -1;
}

function planInput(spec: TensorSpec, names: string[], index: Map<string, number>): InputPlan {
  const input = quoteName(spec.name);
  if (!batchable(spec)) {
    throw new ServingError(BATCH_CODES.usage, `model input ${input} has no variable batch dimension; skein batch needs [-1, …]`);
  }
  if (!SUPPORTED_DATATYPES.has(spec.datatype)) {
    throw new ServingError(BATCH_CODES.usage, `model input ${input} is ${spec.datatype}, which skein batch cannot read from a file`);
  }
  let rowShape = spec.shape.slice(1);
  const variable = rowShape.filter((d) => d === -1).length;
  if (variable > 1 || (variable === 1 && names.length === 1)) {
    throw new ServingError(BATCH_CODES.usage, `model input ${input} has a variable dimension besides the batch; list its columns in --mapping`);
  }
  if (variable === 1) {
    const known = elementCount(rowShape.filter((d) => d !== -1));
    if (names.length % known !== 0) {
      throw new ServingError(BATCH_CODES.usage, `--mapping lists ${names.length} columns for input ${input}, not a multiple of ${known}`);
    }
    rowShape = rowShape.map((d) => (d === -1 ? names.length / known : d));
  }
  const width = elementCount(rowShape);
  if (names.length > 1 && names.length !== width) {
    throw new ServingError(BATCH_CODES.usage, `--mapping lists ${names.length} columns for input ${input}, which takes ${width} values per row`);
  }
  const columns = names.map((n) => {
    const at = index.get(n);
    if (at === undefined) {
      throw new ServingError(BATCH_CODES.usage, `the input file has no column ${quoteName(n)} (for model input ${input}); name a column after the input or map it with --mapping`);
    }
    return at;
  });
  return { name: spec.name, datatype: spec.datatype, rowShape, width, columns, columnNames: names };
}

/** Plans every model input against the file's columns; throws before any row is read. */
export function planInputs(signature: Signature, fileColumns: readonly string[], mapping?: InputMapping): InputPlan[] {
  const index = new Map(fileColumns.map((c, i) => [c, i]));
  const known = new Set(signature.inputs.map((s) => s.name));
  for (const name of Object.keys(mapping?.inputs ?? {})) {
    if (!known.has(name)) throw new ServingError(BATCH_CODES.usage, `--mapping names ${quoteName(name)}, which is not an input of the model`);
  }
  return signature.inputs.map((spec) => {
    const m = mapping?.inputs[spec.name];
    const names = m === undefined ? [spec.name] : Array.isArray(m) ? m : [m];
    return planInput(spec, names, index);
  });
}

/** Finds the key column; a missing one is an error before any work. */
export function keyColumnIndex(fileColumns: readonly string[], keyColumn: string): number {
  const at = fileColumns.indexOf(keyColumn);
  if (at < 0) throw new ServingError(BATCH_CODES.usage, `the input file has no key column ${quoteName(keyColumn)} (--key-column)`);
  return at;
}
