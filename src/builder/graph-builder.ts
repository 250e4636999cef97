import type { DataType } from '../tensor/index.js';
import { resolveAttribute } from './attributes.js';
import type { InitializerData } from './datatypes.js';
import { attributeProtoOf, onnx, tensorProtoOf, valueInfoOf } from './proto.js';
import type { AttributeValue, Dim, GraphBuilder, GraphBuilderOptions, NodeOptions } from './types.js';

const IR_VERSION = 8;
const DEFAULT_OPSET = 17;
const DEFAULT_DOMAIN_OPSETS: Record<string, number> = { 'ai.onnx.ml': 3 };
export const PRODUCER_NAME = 'skein-builder';
const PRODUCER_VERSION = '0.1.0';

type NodeProto = NonNullable<ConstructorParameters<typeof onnx.NodeProto>[0]>;
type TensorProto = NonNullable<ConstructorParameters<typeof onnx.TensorProto>[0]>;
type ValueInfoProto = NonNullable<ConstructorParameters<typeof onnx.ValueInfoProto>[0]>;

/**
 * Creates a builder for one ONNX model. Misuse (a name defined twice, a node reading a value
 * nothing produced, data that does not fill its dims) throws at once: these are programmer
 * errors in the code that builds the model.
 */
export function createGraphBuilder(options: GraphBuilderOptions): GraphBuilder {
  const defined = new Set<string>();
  const inputs: ValueInfoProto[] = [];
  const outputs: ValueInfoProto[] = [];
  const initializers: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const metadata: { key: string; value: string }[] = [];
  const domainsUsed = new Set<string>();
  const nodeCountByOp = new Map<string, number>();

  function define(name: string): void {
    if (name === '') throw new Error('value names must not be empty');
    if (defined.has(name)) throw new Error(`value ${name} is defined twice`);
    defined.add(name);
  }

  const builder: GraphBuilder = {
    input(name: string, datatype: DataType, dims?: readonly Dim[]) {
      define(name);
      inputs.push(valueInfoOf(name, datatype, dims));
      return builder;
    },
    initializer(name: string, datatype: DataType, dims: readonly number[], data: InitializerData) {
      define(name);
      initializers.push(tensorProtoOf(name, { datatype, dims, data }));
      return builder;
    },
    node(opType: string, nodeInputs: readonly string[], nodeOutputs: readonly string[],
      attributes: Record<string, AttributeValue> = {}, nodeOptions: NodeOptions = {}) {
      // '' marks an omitted optional input, as in ONNX itself.
      for (const name of nodeInputs) {
        if (name !== '' && !defined.has(name)) throw new Error(`node ${opType} reads ${name}, which nothing defines yet`);
      }
      nodeOutputs.forEach(define);
      const domain = nodeOptions.domain ?? '';
      if (domain !== '') domainsUsed.add(domain);
      const n = nodeCountByOp.get(opType) ?? 0;
      nodeCountByOp.set(opType, n + 1);
      nodes.push({
        opType,
        domain,
        name: nodeOptions.name ?? `${opType}_${n}`,
        input: [...nodeInputs],
        output: [...nodeOutputs],
        attribute: Object.entries(attributes).map(([k, v]) => attributeProtoOf(k, resolveAttribute(k, v))),
      });
      return builder;
    },
    output(name: string, datatype: DataType, dims?: readonly Dim[]) {
      if (!defined.has(name)) throw new Error(`output ${name} is not produced by any node, input or initializer`);
      if (outputs.some((o) => o.name === name)) throw new Error(`output ${name} is declared twice`);
      outputs.push(valueInfoOf(name, datatype, dims));
      return builder;
    },
    metadata(key: string, value: string) {
      metadata.push({ key, value });
      return builder;
    },
    toBytes() {
      if (outputs.length === 0) throw new Error(`graph ${options.name} declares no outputs`);
      const opsetImport = [{ domain: '', version: options.opset ?? DEFAULT_OPSET }];
      for (const domain of [...domainsUsed].sort()) {
        const version = options.domainOpsets?.[domain] ?? DEFAULT_DOMAIN_OPSETS[domain];
        if (version === undefined) throw new Error(`domain ${domain} is used but has no opset; set domainOpsets`);
        opsetImport.push({ domain, version });
      }
      const model = onnx.ModelProto.create({
        irVersion: IR_VERSION,
        opsetImport,
        producerName: PRODUCER_NAME,
        producerVersion: PRODUCER_VERSION,
        modelVersion: options.modelVersion ?? 0,
        docString: options.docString ?? '',
        metadataProps: metadata,
        graph: { name: options.name, node: nodes, initializer: initializers, input: inputs, output: outputs },
      });
      // protobufjs hands back a Buffer that may share Node's allocation pool; copy it so callers
      // own a plain Uint8Array they can transfer or compare.
      return new Uint8Array(onnx.ModelProto.encode(model).finish());
    },
  };
  return builder;
}
