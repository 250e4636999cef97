import type { DataType } from './types.js';

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
