/**
 * The error-handling suite over gRPC: the bad requests the transport can express (wrong datatype
 * or shape, raw contents of the wrong byte size, missing and unknown inputs and outputs, typed
 * and raw contents together, an unknown model, a message one byte over the limit). Each must get
 * the status the OIP gRPC mapping documents, with a message; a valid request must still get the
 * same answer afterwards. JSON-only faults (malformed JSON, values of the wrong JSON type) have
 * no gRPC form and are not sent.
 */
import * as grpc from '@grpc/grpc-js';
import { errorsStart, runErrorCases, UNKNOWN_INPUT, UNKNOWN_MODEL, UNKNOWN_OUTPUT, type ErrorCase } from './errors.js';
import { grpcCodeName, rawContents, type GrpcOipClient } from './grpc-client.js';
import { createRawInferCaller, requestOfSize, type RawAnswer, type RawInferCaller } from './grpc-raw.js';
import { flatten, type InferBody, type JsonTensor, type SuiteContext } from './requests.js';
import type { SuiteResult } from './types.js';

/** The typed contents field of each datatype (OIP gRPC). */
const CONTENTS_FIELD: Record<string, string> = {
  BOOL: 'bool_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

const { INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED } = grpc.status;

interface WireInput {
  name: string;
  datatype: string;
  shape: number[];
  contents?: Record<string, unknown[]>;
}

/** The parts of a ModelInferRequest the cases change. */
interface WireRequest {
  model_name: string;
  model_version?: string;
  inputs: WireInput[];
  outputs?: Array<{ name: string }>;
  raw_input_contents: Uint8Array[];
}

const spec = (t: JsonTensor): WireInput => ({ name: t.name, datatype: t.datatype, shape: t.shape });

function wrongDatatype(t: JsonTensor): { input: WireInput; raw: Uint8Array } {
  const count = flatten(t.data).length;
  const datatype = t.datatype === 'BYTES' ? 'FP32' : 'BYTES';
  const data = new Array<unknown>(count).fill(datatype === 'BYTES' ? 'x' : 0);
  return { input: { ...spec(t), datatype }, raw: rawContents({ ...t, datatype, data }) };
}

function twice(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength * 2);
  out.set(bytes);
  out.set(bytes, bytes.byteLength);
  return out;
}

/** The requests of the suite, each with the status it must get. */
export function grpcBadRequests(ctx: SuiteContext, valid: InferBody, caller: RawInferCaller): Array<{ name: string; request: () => object; status: number }> {
  const inputs = valid.inputs.map(spec);
  const raw = valid.inputs.map(rawContents);
  const base: WireRequest = { model_name: ctx.model, ...(ctx.version ? { model_version: ctx.version } : {}), inputs, raw_input_contents: raw };
  const first = valid.inputs[0]!;
  const [, ...restInputs] = inputs;
  const [firstRaw, ...restRaw] = raw;
  const typed = CONTENTS_FIELD[first.datatype] ?? 'fp32_contents';
  const typedValues = flatten(first.data).map(() => (typed === 'bytes_contents' ? Buffer.from('x') : typed === 'bool_contents' ? false : 0));
  const limit = ctx.suite.errors.maxBodyBytes;
  const bad = wrongDatatype(first);
  return [
    { name: 'wrong datatype for an input', status: INVALID_ARGUMENT, request: () => ({ ...base, inputs: [bad.input, ...restInputs], raw_input_contents: [bad.raw, ...restRaw] }) },
    { name: 'wrong shape (an extra dimension, raw contents sized to match)', status: INVALID_ARGUMENT,
      request: () => ({ ...base, inputs: [{ ...inputs[0]!, shape: [...first.shape, 2] }, ...restInputs], raw_input_contents: [twice(firstRaw!), ...restRaw] }) },
    { name: 'raw contents one byte short of the shape', status: INVALID_ARGUMENT,
      request: () => ({ ...base, raw_input_contents: [firstRaw!.byteLength > 0 ? firstRaw!.subarray(0, firstRaw!.byteLength - 1) : new Uint8Array(1), ...restRaw] }) },
    { name: 'missing input', status: INVALID_ARGUMENT, request: () => ({ ...base, inputs: restInputs, raw_input_contents: restRaw }) },
    { name: 'unknown input', status: INVALID_ARGUMENT,
      request: () => ({ ...base, inputs: [...inputs, { ...inputs[0]!, name: UNKNOWN_INPUT }], raw_input_contents: [...raw, firstRaw!] }) },
    { name: 'unknown output requested', status: INVALID_ARGUMENT, request: () => ({ ...base, outputs: [{ name: UNKNOWN_OUTPUT }] }) },
    { name: 'typed contents and raw contents together', status: INVALID_ARGUMENT,
      request: () => ({ ...base, inputs: [{ ...inputs[0]!, contents: { [typed]: typedValues } }, ...restInputs] }) },
    { name: 'more raw_input_contents entries than inputs', status: INVALID_ARGUMENT, request: () => ({ ...base, raw_input_contents: [...raw, firstRaw!] }) },
    { name: 'unknown model', status: NOT_FOUND, request: () => ({ ...base, model_name: UNKNOWN_MODEL }) },
    { name: `message of ${limit + 1} bytes (one over maxBodyBytes)`, status: RESOURCE_EXHAUSTED,
      request: () => requestOfSize(caller, { ...base, inputs: [inputs[0]!] } as unknown as Record<string, unknown>, limit + 1) },
  ];
}

export function expectStatus(answer: RawAnswer, status: number): string | undefined {
  const expected = `${grpcCodeName(status)} (${status})`;
  if (answer.ok) return `answered OK, expected ${expected}`;
  const got = `${grpcCodeName(answer.code)} (${answer.code})${answer.skeinCode ? ` ${answer.skeinCode}` : ''}`;
  if (answer.code !== status) return `answered ${got}${answer.details ? `: ${answer.details.slice(0, 200)}` : ''}, expected ${expected}`;
  if (answer.details.trim() === '') return `answered ${got} without a message (status details)`;
  return undefined;
}

export async function runGrpcErrorsSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const valid = errorsStart(ctx);
  if (!('inputs' in valid)) return valid;
  const client = ctx.client as GrpcOipClient;
  const caller = createRawInferCaller(client.address, client.requestTimeoutMs, client.headers);
  try {
    const cases: ErrorCase[] = grpcBadRequests(ctx, valid, caller).map((bad) => ({
      name: bad.name,
      expects: `gets ${grpcCodeName(bad.status)} with a message`,
      check: async () => expectStatus(await caller.infer(bad.request()), bad.status),
    }));
    return await runErrorCases(ctx, valid, cases);
  } finally {
    caller.close();
  }
}
