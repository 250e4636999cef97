/**
 * The error-handling suite: bad requests generated from the model's metadata (wrong datatypes,
 * shapes and values, missing and unknown inputs, malformed JSON and binary, an oversized body).
 * Each must get a 4xx with an OIP error message; afterwards a valid request must still get the
 * same answer it got before. A timeout stops the suite: the cases left are reported, not sent.
 */
import { runCase, skippedCase, skippedSuite, suiteOf } from './case.js';
import type { OipReply } from './client.js';
import { compareOutput } from './functional.js';
import { postOversized } from './oversized.js';
import { describeStatus, errorMessageOf, isTimeout, outputsOf, referenceBody, type InferBody, type JsonTensor, type SuiteContext } from './requests.js';
import type { CaseResult, SuiteResult } from './types.js';

/** Names the kit invents; no real model should have them. */
export const UNKNOWN_INPUT = 'skein_testkit_unknown_input';
export const UNKNOWN_OUTPUT = 'skein_testkit_unknown_output';
export const UNKNOWN_MODEL = 'skein_testkit_no_such_model';

const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2,
  UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8, BYTES: 4,
};

interface BadRequest {
  name: string;
  send: () => Promise<OipReply>;
}

const json = (body: unknown): string => JSON.stringify(body);

function withFirst(body: InferBody, change: (t: JsonTensor) => JsonTensor): InferBody {
  const [first, ...rest] = body.inputs;
  return { ...body, inputs: [change(first!), ...rest] };
}

/** Bad requests built from a valid one; `first` is the input they corrupt. */
export function badRequests(ctx: SuiteContext, valid: InferBody): BadRequest[] {
  const { client } = ctx;
  const post = (body: string | Uint8Array, headers: Record<string, string> = {}, path = client.inferPath()) =>
    () => client.request(path, { body, headers: { 'content-type': 'application/json', ...headers } });
  const infer = (body: unknown) => post(json(body));
  const first = valid.inputs[0]!;
  const isBytes = first.datatype === 'BYTES';
  const wrongType = isBytes ? 'FP32' : 'BYTES';
  const wrongValue = isBytes ? 0 : 'not a number';
  const binaryBytes = Math.max(1, first.data.length) * (ELEMENT_BYTES[first.datatype] ?? 4);
  const binaryHeader = json({ inputs: [{ name: first.name, datatype: first.datatype, shape: first.shape, parameters: { binary_data_size: binaryBytes } }] });
  const headerBytes = new TextEncoder().encode(binaryHeader);
  const short = new Uint8Array(headerBytes.byteLength + binaryBytes - 1);
  short.set(headerBytes);
  const maxBodyBytes = ctx.suite.errors.maxBodyBytes;
  return [
    { name: 'wrong datatype for an input', send: infer(withFirst(valid, (t) => ({ ...t, datatype: wrongType, data: t.data.map(() => (isBytes ? 0 : 'x')) }))) },
    { name: 'wrong shape (an extra dimension)', send: infer(withFirst(valid, (t) => ({ ...t, shape: [...t.shape, 2] }))) },
    { name: 'data length does not match the shape', send: infer(withFirst(valid, (t) => ({ ...t, data: t.data.length > 1 ? t.data.slice(1) : [...t.data, t.data[0]] }))) },
    { name: 'values of the wrong type', send: infer(withFirst(valid, (t) => ({ ...t, data: t.data.map(() => wrongValue) }))) },
    { name: 'missing input', send: infer({ ...valid, inputs: valid.inputs.slice(1) }) },
    { name: 'unknown input', send: infer({ ...valid, inputs: [...valid.inputs, { ...first, name: UNKNOWN_INPUT }] }) },
    { name: 'unknown output requested', send: infer({ ...valid, outputs: [{ name: UNKNOWN_OUTPUT }] }) },
    { name: 'inputs is not a list', send: infer({ inputs: 5 }) },
    { name: 'malformed JSON', send: post('{"inputs": [') },
    { name: 'unknown model', send: post(json(valid), {}, `/v2/models/${UNKNOWN_MODEL}/infer`) },
    { name: 'binary header longer than the body', send: post(binaryHeader, { 'inference-header-content-length': String(headerBytes.byteLength + 1000) }) },
    { name: 'binary data shorter than binary_data_size', send: post(short, { 'inference-header-content-length': String(headerBytes.byteLength) }) },
    { name: `body over ${maxBodyBytes} bytes`, send: () => postOversized(client.endpoint + client.inferPath(), maxBodyBytes + 1, client.requestTimeoutMs, client.headers) },
  ];
}

function expectClientError(reply: OipReply): string | undefined {
  if (reply.status < 400 || reply.status > 499) return `answered ${describeStatus(reply)}, expected a 4xx status`;
  if (!errorMessageOf(reply.body)) return `answered HTTP ${reply.status} without an error message (expected {"error": "..."})`;
  return undefined;
}

/** The valid request the suite starts from, or the reason the suite is skipped. */
export function errorsStart(ctx: SuiteContext): InferBody | SuiteResult {
  if (!ctx.suite.errors.enabled) return skippedSuite('errors', 'disabled in the suite file (errors.enabled: false)');
  const valid = ctx.metadata || ctx.suite.functional ? referenceBody(ctx) : undefined;
  return valid ?? skippedSuite('errors', 'the model metadata is unavailable and the suite has no golden example to start from (see the protocol suite)');
}

export interface ErrorCase {
  /** What is wrong with the request. */
  name: string;
  /** What it must get, e.g. "gets a 4xx with an error message". */
  expects: string;
  /** Sends the bad request; a failure sentence, or undefined when it was refused properly. */
  check: () => Promise<string | undefined>;
}

export async function runErrorsSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const valid = errorsStart(ctx);
  if (!('inputs' in valid)) return valid;
  const cases = badRequests(ctx, valid).map((bad) => ({
    name: bad.name, expects: 'gets a 4xx with an error message', check: async () => expectClientError(await bad.send()),
  }));
  return runErrorCases(ctx, valid, cases);
}

/**
 * A valid request, then each bad one, then the valid one again, which must get the same answer.
 * The first timeout stops the suite: the cases left are reported, not sent.
 */
export async function runErrorCases(ctx: SuiteContext, valid: InferBody, bad: ErrorCase[]): Promise<SuiteResult> {
  const started = ctx.clock.now();
  const cases: CaseResult[] = [];
  let hung = false;
  const guarded = (body: () => Promise<string | undefined>) => async () => {
    try {
      return await body();
    } catch (err) {
      hung ||= isTimeout(err);
      throw err;
    }
  };
  let before: OipReply | undefined;
  cases.push(await runCase(ctx.clock, 'a valid request is answered before the error cases', guarded(async () => {
    before = await ctx.client.infer(valid);
    return before.status === 200 ? undefined : `answered ${describeStatus(before)}, expected 200`;
  })));
  for (const c of bad) {
    if (hung) cases.push(skippedCase(c.name, 'not sent: an earlier request timed out'));
    else cases.push(await runCase(ctx.clock, `${c.name} ${c.expects}`, guarded(c.check)));
  }
  const afterName = 'a valid request still gets the same answer afterwards';
  if (hung || before?.status !== 200) {
    cases.push(skippedCase(afterName, hung ? 'not sent: an earlier request timed out' : 'no valid answer to compare with'));
  } else {
    const reference = outputsOf(before.body);
    cases.push(await runCase(ctx.clock, afterName, guarded(async () => {
      const after = await ctx.client.infer(valid);
      if (after.status !== 200) return `answered ${describeStatus(after)}, expected 200`;
      const got = outputsOf(after.body);
      for (const [name, t] of reference) {
        const difference = compareOutput(name, t, got.get(name), 1e-6);
        if (difference) return difference;
      }
      return undefined;
    })));
  }
  return suiteOf('errors', cases, ctx.clock.now() - started);
}
