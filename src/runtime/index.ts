export type * from './types.js';
export { OnnxRuntime } from './onnx/onnx-runtime.js';
export type { OnnxRuntimeOptions } from './onnx/onnx-runtime.js';
