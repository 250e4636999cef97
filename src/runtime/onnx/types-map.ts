import type { DataType } from '../../tensor/types.js';

/** OIP datatype ↔ onnxruntime-node tensor type. BF16 has no onnxruntime-node tensor type. */
const TO_ORT: Partial<Record<DataType, string>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  INT8: 'int8',
  UINT16: 'uint16',
  INT16: 'int16',
  UINT32: 'uint32',
  INT32: 'int32',
  UINT64: 'uint64',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const FROM_ORT: Record<string, DataType> = Object.fromEntries(
  Object.entries(TO_ORT).map(([k, v]) => [v, k as DataType]),
);

export function toOrtType(datatype: DataType): string | undefined {
  return TO_ORT[datatype];
}

export function fromOrtType(type: string): DataType | undefined {
  return FROM_ORT[type];
}
