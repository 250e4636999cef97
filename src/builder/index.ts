export { createGraphBuilder, PRODUCER_NAME } from './graph-builder.js';
export { floatAttr, floatsAttr, intAttr, intsAttr, tensorAttr } from './attributes.js';
export { ONNX_DATA_TYPE } from './datatypes.js';
export type { InitializerData } from './datatypes.js';
export type {
  AttributeValue, Dim, GraphBuilder, GraphBuilderOptions, NodeOptions, TaggedAttribute, TensorValue,
} from './types.js';
