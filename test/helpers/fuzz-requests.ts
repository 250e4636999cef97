/**
 * Near-valid infer requests for scenario 9: a valid request for one of a few models, then one
 * thing made wrong. Shared by test/integration/fuzz-rest.test.ts (short run) and
 * bench/reliability/fuzz.ts (100k). Also the model repository they run against.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ERROR_TABLE } from '../../src/errors/index.js';
import { DATATYPES } from '../../src/tensor/index.js';
import { identityModel, twoInOutModel, writeModel } from './models.js';
import { rawBytes } from './grpc-client.js';

/** `two`: a FP32 [b,3], b INT64 [b,1] → sum, idx. `id_<dt>`: x [b,4] → y. */
export async function writeFuzzModels(repo: string): Promise<void> {
  await writeModel(repo, 'two', 1, twoInOutModel());
  for (const dt of ['BYTES', 'UINT8', 'BOOL'] as const) await writeModel(repo, `id_${dt.toLowerCase()}`, 1, identityModel(dt));
}

export interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** What was changed, for failure messages. */
  mutation: string;
}

interface Input {
  name: unknown;
  datatype: unknown;
  shape: unknown;
  data?: unknown;
  parameters?: Record<string, unknown>;
}

interface Base {
  model: string;
  inputs: Input[];
  /** Binary form of each input's data (for the binary extension). */
  raw: Buffer[];
}

const ROWS = fc.integer({ min: 1, max: 3 });

/** A valid request for one of the fuzz models, with its values as JSON data and as raw bytes. */
const base: fc.Arbitrary<Base> = fc.oneof(
  ROWS.chain((rows) => fc.record({
    a: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: rows * 3, maxLength: rows * 3 }),
    b: fc.array(fc.bigInt(-(2n ** 40n), 2n ** 40n), { minLength: rows, maxLength: rows }),
  }).map(({ a, b }) => ({
    model: 'two',
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [rows, 3], data: a },
      { name: 'b', datatype: 'INT64', shape: [rows, 1], data: b.map(Number) },
    ],
    raw: [rawBytes(Float32Array.from(a)), rawBytes(BigInt64Array.from(b))],
  }))),
  ROWS.chain((rows) => fc.array(fc.string({ maxLength: 6, unit: 'binary' }), { minLength: rows * 4, maxLength: rows * 4 }).map((s) => ({
    model: 'id_bytes', inputs: [{ name: 'x', datatype: 'BYTES', shape: [rows, 4], data: s }], raw: [rawBytes(s)],
  }))),
  ROWS.chain((rows) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: rows * 4, maxLength: rows * 4 }).map((v) => ({
    model: 'id_uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: [rows, 4], data: v }], raw: [rawBytes(Uint8Array.from(v))],
  }))),
  ROWS.chain((rows) => fc.array(fc.boolean(), { minLength: rows * 4, maxLength: rows * 4 }).map((v) => ({
    model: 'id_bool', inputs: [{ name: 'x', datatype: 'BOOL', shape: [rows, 4], data: v }], raw: [rawBytes(Uint8Array.from(v, Number))],
  }))),
);

/** Values that are wrong for a shape dimension. */
const badDim = fc.constantFrom<unknown>(-1, -7, 2 ** 31, 2 ** 53 + 2, 1e308, 1.5, '3', null, true, [], {});
/** Values that are wrong as tensor data elements for most datatypes. */
const badValue = fc.constantFrom<unknown>('x', '', null, true, {}, [], 1.5, -1, 256, 2 ** 64, 1e309, '4111111111111111');
const junkDatatype = fc.oneof(fc.constantFrom<unknown>(...DATATYPES), fc.constantFrom<unknown>('', 'fp32', 'FLOAT', 'BYTES ', 3, null));
const junkName = fc.constantFrom<unknown>('', 'zz', 'a'.repeat(300), 'x\u0000', 7, null);

const JSON_MUTATIONS = [
  'none', 'none', 'datatype', 'dim', 'rank', 'shape-type', 'value', 'length-up', 'length-down', 'nest', 'deep',
  'name', 'duplicate', 'missing', 'extra-input', 'output', 'outputs-type', 'id', 'parameters', 'truncate', 'byte',
  'utf8', 'inputs-type', 'gzip', 'bad-gzip', 'encoding', 'content-type', 'model',
] as const;
const BINARY_MUTATIONS = [
  'none', 'none', 'header-negative', 'header-float', 'header-past', 'header-word', 'header-list', 'size-up',
  'size-down', 'size-type', 'trailing', 'missing-part', 'both', 'raw-body', 'datatype', 'dim',
] as const;

interface Knobs {
  at: number;
  dim: unknown;
  value: unknown;
  datatype: unknown;
  name: unknown;
  byte: number;
}

const knobs: fc.Arbitrary<Knobs> = fc.record({
  at: fc.nat(1_000), dim: badDim, value: badValue, datatype: junkDatatype, name: junkName, byte: fc.integer({ min: 0, max: 255 }),
});

function clone(b: Base): Input[] {
  return b.inputs.map((t) => ({ ...t, shape: [...(t.shape as number[])], data: [...(t.data as unknown[])] }));
}

function jsonRequest(b: Base, mutation: (typeof JSON_MUTATIONS)[number], k: Knobs): WireRequest {
  const inputs = clone(b);
  const target = inputs[k.at % inputs.length] as Input;
  const doc: Record<string, unknown> = { inputs };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let path = `/v2/models/${b.model}/infer`;
  switch (mutation) {
    case 'none': break;
    case 'datatype': target.datatype = k.datatype; break;
    case 'dim': (target.shape as unknown[])[k.at % 2] = k.dim; break;
    case 'rank': (target.shape as unknown[]).splice(k.at % 3, k.at % 2, ...(k.at % 4 === 0 ? [] : [1])); break;
    case 'shape-type': target.shape = k.dim; break;
    case 'value': (target.data as unknown[])[k.at % (target.data as unknown[]).length] = k.value; break;
    case 'length-up': (target.data as unknown[]).push((target.data as unknown[])[0]); break;
    case 'length-down': (target.data as unknown[]).pop(); break;
    case 'nest': target.data = [target.data]; break;
    case 'deep': target.data = JSON.parse(`${'['.repeat(80 + (k.at % 40))}1${']'.repeat(80 + (k.at % 40))}`); break;
    case 'name': target.name = k.name; break;
    case 'duplicate': inputs.push({ ...target }); break;
    case 'missing': inputs.splice(k.at % inputs.length, 1); break;
    case 'extra-input': inputs.push({ ...target, name: 'extra' }); break;
    case 'output': doc.outputs = [{ name: ['nope', '', 'y', 'sum'][k.at % 4] }]; break;
    case 'outputs-type': doc.outputs = k.value; break;
    case 'id': doc.id = k.value; break;
    case 'parameters': doc.parameters = k.at % 2 ? k.value : { timeout: k.value, binary_data_output: k.value }; break;
    case 'inputs-type': doc.inputs = k.value; break;
    case 'model': path = `/v2/models/${['nope', '..', '%2e%2e', 'a%00b', 'two%2F..'][k.at % 5]}/infer`; break;
    default: break;
  }
  let body = Buffer.from(JSON.stringify(doc));
  switch (mutation) {
    case 'truncate': body = body.subarray(0, k.at % body.length); break;
    case 'byte': body = Buffer.from(body); body[k.at % body.length] = k.byte; break;
    case 'utf8': body = Buffer.concat([body.subarray(0, body.length - 3), Buffer.from([0xff, 0xfe]), body.subarray(body.length - 3)]); break;
    case 'gzip': body = gzipSync(body); headers['content-encoding'] = 'gzip'; break;
    case 'bad-gzip': headers['content-encoding'] = 'gzip'; break;
    case 'encoding': headers['content-encoding'] = ['br', 'gzip, gzip', 'identity', 'x'][k.at % 4] as string; break;
    case 'content-type': headers['content-type'] = ['text/plain', 'application/octet-stream', 'application/json; charset=latin1', ''][k.at % 4] as string; break;
    default: break;
  }
  return { path, headers, body, mutation: `json:${mutation}` };
}

function binaryRequest(b: Base, mutation: (typeof BINARY_MUTATIONS)[number], k: Knobs): WireRequest {
  const inputs = clone(b).map((t, i) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: (b.raw[i] as Buffer).length } as Record<string, unknown> } as Input));
  const target = inputs[k.at % inputs.length] as Input;
  let parts = [...b.raw];
  let headerLength: string | undefined;
  switch (mutation) {
    case 'size-up': (target.parameters as Record<string, unknown>).binary_data_size = (b.raw[0] as Buffer).length + 1 + (k.at % 9); break;
    case 'size-down': (target.parameters as Record<string, unknown>).binary_data_size = Math.max(0, (b.raw[0] as Buffer).length - 1); break;
    case 'size-type': (target.parameters as Record<string, unknown>).binary_data_size = k.value; break;
    case 'trailing': parts.push(Buffer.alloc(1 + (k.at % 7))); break;
    case 'missing-part': parts = parts.slice(1); break;
    case 'both': target.data = [1, 2, 3]; break;
    case 'datatype': target.datatype = k.datatype; break;
    case 'dim': (target.shape as unknown[])[k.at % 2] = k.dim; break;
    default: break;
  }
  const json = Buffer.from(JSON.stringify({ inputs, ...(k.at % 3 === 0 ? { parameters: { binary_data_output: true } } : {}) }));
  const body = mutation === 'raw-body' ? Buffer.concat(b.raw) : Buffer.concat([json, ...parts]);
  switch (mutation) {
    case 'header-negative': headerLength = '-1'; break;
    case 'header-float': headerLength = `${json.length}.5`; break;
    case 'header-past': headerLength = String(body.length + 1 + (k.at % 100)); break;
    case 'header-word': headerLength = 'abc'; break;
    case 'header-list': headerLength = `${json.length}, ${json.length}`; break;
    case 'raw-body': headerLength = '0'; break;
    default: headerLength = String(json.length);
  }
  return {
    path: `/v2/models/${b.model}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': headerLength },
    body,
    mutation: `binary:${mutation}`,
  };
}

/** A near-valid REST request: JSON or binary extension, at most one thing wrong. */
export const restRequest: fc.Arbitrary<WireRequest> = fc.record({
  base,
  binary: fc.boolean(),
  json: fc.constantFrom(...JSON_MUTATIONS),
  bin: fc.constantFrom(...BINARY_MUTATIONS),
  k: knobs,
}).map(({ base: b, binary, json, bin, k }) => (binary ? binaryRequest(b, bin, k) : jsonRequest(b, json, k)));

/** A near-valid gRPC ModelInfer request (typed contents or raw_input_contents), at most one thing wrong. */
export interface GrpcFuzzRequest {
  request: Record<string, unknown>;
  mutation: string;
}

export const grpcRequest: fc.Arbitrary<GrpcFuzzRequest> = fc.record({
  base,
  raw: fc.boolean(),
  mutation: fc.constantFrom('none', 'none', 'datatype', 'dim', 'rank', 'count', 'mix', 'junk-raw', 'model', 'name', 'output', 'extra-raw', 'extra-input'),
  k: knobs,
  junk: fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
}).map(({ base: b, raw, mutation, k, junk }) => {
  const inputs: Record<string, unknown>[] = b.inputs.map((t, i) => {
    const input: Record<string, unknown> = { name: t.name, datatype: t.datatype, shape: [...(t.shape as number[])] };
    if (!raw) input.contents = typedContents(t, b.raw[i] as Buffer);
    return input;
  });
  const r: Record<string, unknown> = { model_name: b.model, inputs };
  if (raw) r.raw_input_contents = [...b.raw];
  const target = inputs[k.at % inputs.length] as Record<string, unknown>;
  switch (mutation) {
    case 'datatype': target.datatype = typeof k.datatype === 'string' ? k.datatype : 'FP64'; break;
    case 'dim': (target.shape as unknown[])[k.at % 2] = typeof k.dim === 'number' && Number.isInteger(k.dim) && Math.abs(k.dim) < 2 ** 53 ? k.dim : -3; break;
    case 'rank': (target.shape as number[]).push(1); break;
    case 'count':
      if (raw) r.raw_input_contents = [(b.raw[0] as Buffer).subarray(1), ...b.raw.slice(1)];
      else target.contents = typedContents({ ...(b.inputs[k.at % inputs.length] as Input), data: [] }, Buffer.alloc(0));
      break;
    case 'mix': r.raw_input_contents = [...b.raw]; target.contents = typedContents(b.inputs[0] as Input, b.raw[0] as Buffer); break;
    case 'junk-raw': r.raw_input_contents = b.raw.map(() => junk); for (const i of inputs) delete i.contents; break;
    case 'model': r.model_name = ['nope', '', '../x', 'a/b', 'a\u0000b'][k.at % 5]; break;
    case 'name': target.name = typeof k.name === 'string' ? k.name : 'zz'; break;
    case 'output': r.outputs = [{ name: ['nope', '', 'y'][k.at % 3] }]; break;
    case 'extra-raw': r.raw_input_contents = [...b.raw, junk]; break;
    case 'extra-input': inputs.push({ ...target, name: 'extra' }); break;
    default: break;
  }
  return { request: r, mutation: `grpc:${mutation}${raw ? ':raw' : ''}` };
});

function typedContents(t: Input, raw: Buffer): Record<string, unknown> {
  const data = t.data as unknown[];
  switch (t.datatype) {
    case 'FP32': return { fp32_contents: data };
    case 'INT64': return { int64_contents: data.map((v) => String(v)) };
    case 'BYTES': return { bytes_contents: (data as string[]).map((s) => Buffer.from(s)) };
    case 'BOOL': return { bool_contents: data };
    case 'UINT8': return { uint_contents: data };
    default: return { bytes_contents: [raw] };
  }
}

/** Why a REST reply breaks scenario 9's contract, or undefined when it keeps it. */
export function contractBreach(reply: { status: number; text: string }, mutation = ''): string | undefined {
  if (reply.status >= 200 && reply.status < 300) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return `status ${reply.status} with a body that is not JSON`;
  }
  const { error, code } = (body ?? {}) as { error?: unknown; code?: unknown };
  if (typeof error !== 'string' || typeof code !== 'string' || Object.keys(body as object).length !== 2) return `status ${reply.status} without {error, code}`;
  if (!Object.hasOwn(ERROR_TABLE, code)) return `unknown code ${code}`;
  if (ERROR_TABLE[code as keyof typeof ERROR_TABLE].http !== reply.status) return `${code} sent with status ${reply.status}`;
  // DEADLINE_EXCEEDED is shedding the caller asked for: only a request that set its own timeout
  // (parameters.timeout, in microseconds; the generator sends values such as 1.5) may get it.
  const shed = code === 'QUEUE_FULL' || (code === 'DEADLINE_EXCEEDED' && mutation === 'json:parameters');
  if (reply.status >= 500 && !shed) return `server error ${code}`;
  return undefined;
}
