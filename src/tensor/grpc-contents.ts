import type { DataType } from './types.js';

/** One InferParameter as sent (oneof; spec §2.1). */
export type WireParameterOut = { bool_param: boolean } | { string_param: string } | { int64_param: number } | { double_param: number };

/** The typed fields of the OIP gRPC InferTensorContents message (spec §2.1). */
export type ContentsField =
  | 'bool_contents' | 'int_contents' | 'int64_contents' | 'uint_contents'
  | 'uint64_contents' | 'fp32_contents' | 'fp64_contents' | 'bytes_contents';

/** The InferTensorContents field that carries each datatype; FP16 and BF16 have none (raw only). */
export const CONTENTS_FIELD_OF: Readonly<Record<DataType, ContentsField | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
  FP16: undefined, BF16: undefined,
};

/**
 * Request or response parameters → InferParameter messages: booleans, strings, safe integers as
 * int64, other numbers as double.
 */
export function encodeInferParameters(parameters: Readonly<Record<string, string | number | boolean>>): Record<string, WireParameterOut> {
  const out: Record<string, WireParameterOut> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value === 'boolean') out[key] = { bool_param: value };
    else if (typeof value === 'string') out[key] = { string_param: value };
    else if (Number.isSafeInteger(value)) out[key] = { int64_param: value };
    else out[key] = { double_param: value };
  }
  return out;
}
