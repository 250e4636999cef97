import type { DataType } from '../tensor/index.js';
import type { InitializerData } from './datatypes.js';

/**
 * A small ONNX graph builder: enough to write the models Skein's examples and tests need, with
 * names checked as they are added so a mistake fails here rather than inside the runtime.
 *
 * Calls are made in order (inputs and initializers before the nodes that use them, nodes in
 * topological order). A builder is not safe to share between concurrent writers; toBytes() may
 * be called any number of times and always returns the same bytes for the same calls.
 */

/** A dimension: a number is fixed, a string names a dynamic axis (e.g. 'batch'). */
export type Dim = number | string;

export interface GraphBuilderOptions {
  /** Graph name, e.g. 'purchase'. */
  name: string;
  /** Default-domain opset; 17 unless told. */
  opset?: number;
  /** Opsets for other domains when a node uses them; ai.onnx.ml defaults to 3. */
  domainOpsets?: Record<string, number>;
  docString?: string;
  /** ModelProto.model_version (an integer the producer chooses). */
  modelVersion?: number;
}

/**
 * An attribute value. Plain values map by type: an integer number or bigint → INT, a
 * non-integer number → FLOAT, a string → STRING, a number[] → INTS (all integers) or FLOATS, a
 * string[] → STRINGS. A float attribute whose value is integral (Gemm's alpha = 1) must use
 * floatAttr() / floatsAttr(), which is why the tagged forms exist.
 */
export type AttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly string[]
  | TaggedAttribute;

export type TaggedAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'tensor'; value: TensorValue };

export interface TensorValue {
  datatype: DataType;
  dims: readonly number[];
  data: InitializerData;
}

export interface NodeOptions {
  /** Operator domain; '' (default ONNX) unless told, e.g. 'ai.onnx.ml'. */
  domain?: string;
  /** Node name; generated as `<op>_<n>` when absent. */
  name?: string;
}

export interface GraphBuilder {
  /** Declares a graph input. `dims` undefined leaves the shape unknown. */
  input(name: string, datatype: DataType, dims?: readonly Dim[]): GraphBuilder;
  /** Adds a constant tensor the nodes can use by name. */
  initializer(name: string, datatype: DataType, dims: readonly number[], data: InitializerData): GraphBuilder;
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes?: Record<string, AttributeValue>,
    options?: NodeOptions,
  ): GraphBuilder;
  /** Declares a graph output; it must be produced by a node, an input or an initializer. */
  output(name: string, datatype: DataType, dims?: readonly Dim[]): GraphBuilder;
  /** Adds a ModelProto metadata_props entry (shown by Netron and readable by runtimes). */
  metadata(key: string, value: string): GraphBuilder;
  /** Serializes the model: ir_version 8, producer 'skein-builder'. */
  toBytes(): Uint8Array;
}
