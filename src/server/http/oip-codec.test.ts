import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Signature, Tensor } from '../../tensor/index.js';
import type { InferResponse } from '../../serving/index.js';
import { decodeInferRequest, encodeInferResponse, type BodyLimits } from './oip-codec.js';
import { throwsCode } from '../../../test/helpers/errors.js';

const limits: BodyLimits = { maxJsonDepth: 8, maxTensorElements: 1000, maxInputs: 4 };
const enc = new TextEncoder();

function noSignature(): Signature {
  throw new Error('resolveSignature must only be called for raw requests');
}

function jsonBody(doc: unknown): Uint8Array {
  return enc.encode(JSON.stringify(doc));
}

/** A JSON header followed by binary parts, and the header length to send with it. */
function binaryBody(doc: unknown, ...parts: Uint8Array[]): { body: Uint8Array; headerLength: string } {
  const header = Buffer.from(JSON.stringify(doc));
  return { body: new Uint8Array(Buffer.concat([header, ...parts])), headerLength: String(header.byteLength) };
}

function f32Bytes(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

const fp32Input = { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] };

describe('decodeInferRequest', () => {
  test('decodes a JSON request with id, parameters (the timeout passed on for the service) and outputs', () => {
    const req = decodeInferRequest(
      jsonBody({
        id: 'r-1',
        parameters: { timeout: 250000, priority: 1, tag: 'a', binary_data_output: false },
        inputs: [fp32Input, { name: 'w', datatype: 'BYTES', shape: [2], data: ['a', 'é'] }],
        outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }],
      }),
      undefined, limits, noSignature,
    );
    assert.equal(req.id, 'r-1');
    assert.deepEqual(req.parameters, { timeout: 250000, priority: 1, tag: 'a', binary_data_output: false });
    assert.deepEqual(req.outputs, [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }]);
    assert.deepEqual(req.inputs[0], { name: 'x', datatype: 'FP32', shape: [1, 2], data: Float32Array.from([1, 2]) });
    assert.deepEqual(req.inputs[1]!.data, ['a', 'é']);
  });

  test('takes binary inputs from the bytes after the JSON header in order, mixed with JSON inputs', () => {
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
          fp32Input,
          { name: 'b', datatype: 'FP16', shape: [1], parameters: { binary_data_size: 2 } },
        ],
      },
      f32Bytes(3, 4),
      Uint8Array.from([0x00, 0x3c]),
    );
    const req = decodeInferRequest(body, headerLength, limits, noSignature);
    assert.deepEqual(req.inputs.map((t) => t.name), ['a', 'x', 'b']);
    assert.deepEqual([...(req.inputs[0]!.data as Float32Array)], [3, 4]);
    assert.deepEqual([...(req.inputs[2]!.data as Uint16Array)], [0x3c00]);
  });

  test('rejects binary_data_size values that add up to less or more than the binary part with BINARY_SIZE_MISMATCH', () => {
    const doc = { inputs: [{ name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }] };
    const short = binaryBody(doc, f32Bytes(3));
    throwsCode(() => decodeInferRequest(short.body, short.headerLength, limits, noSignature), 'BINARY_SIZE_MISMATCH');
    const long = binaryBody(doc, f32Bytes(3, 4, 5));
    throwsCode(() => decodeInferRequest(long.body, long.headerLength, limits, noSignature), 'BINARY_SIZE_MISMATCH');
    throwsCode(() => decodeInferRequest(jsonBody(doc), undefined, limits, noSignature), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects a binary_data_size that does not fit the shape with BINARY_SIZE_MISMATCH', () => {
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'a', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 8 } }] },
      f32Bytes(3, 4),
    );
    throwsCode(() => decodeInferRequest(body, headerLength, limits, noSignature), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects a binary_data_size that is not a non-negative integer, or sent with data, with INVALID_REQUEST', () => {
    for (const size of [-1, 1.5, '8', true]) {
      const doc = { inputs: [{ name: 'a', datatype: 'UINT8', shape: [1], parameters: { binary_data_size: size } }] };
      const { body, headerLength } = binaryBody(doc, new Uint8Array(1));
      throwsCode(() => decodeInferRequest(body, headerLength, limits, noSignature), 'INVALID_REQUEST');
    }
    const both = binaryBody({ inputs: [{ name: 'a', datatype: 'UINT8', shape: [1], data: [1], parameters: { binary_data_size: 1 } }] }, new Uint8Array(1));
    throwsCode(() => decodeInferRequest(both.body, both.headerLength, limits, noSignature), 'INVALID_REQUEST');
  });

  test('accepts a header length equal to the body length as a JSON-only body', () => {
    const body = jsonBody({ inputs: [fp32Input] });
    assert.equal(decodeInferRequest(body, String(body.byteLength), limits, noSignature).inputs.length, 1);
  });

  test('rejects a negative, non-numeric, fractional, empty or too-long header length with INVALID_BINARY_HEADER', () => {
    const body = jsonBody({ inputs: [fp32Input] });
    for (const header of ['-1', 'abc', '1.5', '', ' 5', '0x10', '1e2', String(body.byteLength + 1), '99999999999999999999']) {
      const err = throwsCode(() => decodeInferRequest(body, header, limits, noSignature), 'INVALID_BINARY_HEADER');
      assert.ok(!err.message.includes('abc') && !err.message.includes('999999'), err.message);
    }
  });

  test('accepts JSON nested exactly maxJsonDepth deep and rejects one level more with JSON_TOO_DEEP', () => {
    // {inputs:[{data:[[[...]]]}]}: object, list, object, then the data lists.
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    const shapeFor = (rank: number): number[] => new Array(rank).fill(1);
    const atBound = { inputs: [{ name: 'x', datatype: 'FP32', shape: shapeFor(5), data: nested(5) }] };
    assert.equal(decodeInferRequest(jsonBody(atBound), undefined, limits, noSignature).inputs[0]!.data.length, 1);
    const past = { inputs: [{ name: 'x', datatype: 'FP32', shape: shapeFor(6), data: nested(6) }] };
    throwsCode(() => decodeInferRequest(jsonBody(past), undefined, limits, noSignature), 'JSON_TOO_DEEP');
  });

  test('rejects malformed JSON with INVALID_JSON without echoing the body', () => {
    const err = throwsCode(
      () => decodeInferRequest(enc.encode('{"inputs": [secret-value'), undefined, limits, noSignature),
      'INVALID_JSON',
    );
    assert.ok(!err.message.includes('secret'));
    throwsCode(() => decodeInferRequest(new Uint8Array(0), undefined, limits, noSignature), 'INVALID_JSON');
  });

  test('rejects a body that is not an object with an inputs list with INVALID_REQUEST', () => {
    for (const doc of [[], 'x', null, {}, { inputs: {} }, { inputs: [3] }]) {
      throwsCode(() => decodeInferRequest(jsonBody(doc), undefined, limits, noSignature), 'INVALID_REQUEST');
    }
  });

  test('accepts maxInputs inputs and rejects one more with INVALID_REQUEST', () => {
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ ...fp32Input, name: `x${i}` }));
    assert.equal(decodeInferRequest(jsonBody({ inputs: inputs(4) }), undefined, limits, noSignature).inputs.length, 4);
    throwsCode(() => decodeInferRequest(jsonBody({ inputs: inputs(5) }), undefined, limits, noSignature), 'INVALID_REQUEST');
  });

  test('rejects a non-string id, nested parameters and malformed outputs with INVALID_REQUEST', () => {
    for (const extra of [{ id: 7 }, { parameters: { a: { b: 1 } } }, { parameters: [1] }, { outputs: {} }, { outputs: [{}] }, { outputs: [{ name: 'y', parameters: { a: null } }] }]) {
      throwsCode(() => decodeInferRequest(jsonBody({ inputs: [fp32Input], ...extra }), undefined, limits, noSignature), 'INVALID_REQUEST');
    }
  });

  test('passes tensor errors through with their codes', () => {
    const bad = { inputs: [{ name: 'x', datatype: 'UINT8', shape: [1], data: [256] }] };
    throwsCode(() => decodeInferRequest(jsonBody(bad), undefined, limits, noSignature), 'VALUE_OUT_OF_RANGE');
  });

  test('decodes FP32 data to the same tensor whether datatype comes before or after data', () => {
    // Before data, the reader converts the list straight to float32; after it, the codec converts
    // JSON.parse-style numbers. Both must agree, rounding and errors included.
    const data = [0.1, -0.30000001192092896, 3.4028234663852886e38, 1e-45, -0, 16777217, 0.4895900487899780273];
    const before = `{"inputs":[{"name":"x","shape":[1,7],"datatype":"FP32","data":${JSON.stringify(data)}}]}`;
    const after = `{"inputs":[{"name":"x","shape":[1,7],"data":${JSON.stringify(data)},"datatype":"FP32"}]}`;
    const a = decodeInferRequest(enc.encode(before), undefined, limits, noSignature).inputs[0]!;
    const b = decodeInferRequest(enc.encode(after), undefined, limits, noSignature).inputs[0]!;
    assert.ok(a.data instanceof Float32Array && b.data instanceof Float32Array);
    assert.deepEqual([...a.data].map((v) => Object.is(v, -0) ? '-0' : v), [...b.data].map((v) => Object.is(v, -0) ? '-0' : v));
    assert.deepEqual(a.shape, b.shape);

    const overflow = (order: 'before' | 'after') => order === 'before'
      ? `{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,1e39]}]}`
      : `{"inputs":[{"name":"x","shape":[2],"data":[1,1e39],"datatype":"FP32"}]}`;
    const e1 = throwsCode(() => decodeInferRequest(enc.encode(overflow('before')), undefined, limits, noSignature), 'VALUE_OUT_OF_RANGE');
    const e2 = throwsCode(() => decodeInferRequest(enc.encode(overflow('after')), undefined, limits, noSignature), 'VALUE_OUT_OF_RANGE');
    assert.equal(e1.message, e2.message);
    const short = `{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]}`;
    assert.match(throwsCode(() => decodeInferRequest(enc.encode(short), undefined, limits, noSignature), 'DATA_LENGTH_MISMATCH').message, /expects 3 values for shape \[3\], got 2/);
  });
});

describe('decodeInferRequest with a raw body (header length 0)', () => {
  const single = (shape: number[], datatype: 'FP32' | 'BYTES' = 'FP32'): Signature => ({
    inputs: [{ name: 'in', datatype, shape }],
    outputs: [{ name: 'out', datatype: 'FP32', shape: [-1] }],
  });

  test('derives the one variable dimension from the byte length and asks for binary outputs', () => {
    const req = decodeInferRequest(f32Bytes(1, 2, 3, 4, 5, 6), '0', limits, () => single([-1, 3]));
    assert.deepEqual(req.inputs, [{ name: 'in', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]);
    assert.equal(req.parameters?.binary_data_output, true);
  });

  test('rejects a byte length that does not fill the shape with BINARY_SIZE_MISMATCH', () => {
    throwsCode(() => decodeInferRequest(f32Bytes(1, 2, 3, 4), '0', limits, () => single([-1, 3])), 'BINARY_SIZE_MISMATCH');
    throwsCode(() => decodeInferRequest(new Uint8Array(6), '0', limits, () => single([-1, 3])), 'BINARY_SIZE_MISMATCH');
    throwsCode(() => decodeInferRequest(f32Bytes(1, 2), '0', limits, () => single([3])), 'BINARY_SIZE_MISMATCH');
  });

  test('takes the whole body as one BYTES element without a length prefix', () => {
    const req = decodeInferRequest(enc.encode('wool 🧶'), '0', limits, () => single([-1], 'BYTES'));
    assert.deepEqual(req.inputs, [{ name: 'in', datatype: 'BYTES', shape: [1], data: ['wool 🧶'] }]);
  });

  test('rejects models with more than one input or more than one variable dimension with INVALID_REQUEST', () => {
    const two: Signature = { inputs: [...single([-1]).inputs, { name: 'b', datatype: 'FP32', shape: [-1] }], outputs: [] };
    throwsCode(() => decodeInferRequest(f32Bytes(1), '0', limits, () => two), 'INVALID_REQUEST');
    throwsCode(() => decodeInferRequest(f32Bytes(1), '0', limits, () => single([-1, -1])), 'INVALID_REQUEST');
    throwsCode(() => decodeInferRequest(enc.encode('ab'), '0', limits, () => single([2], 'BYTES')), 'INVALID_REQUEST');
  });

  test('applies the element limit to raw bodies', () => {
    throwsCode(() => decodeInferRequest(new Uint8Array(4 * 1001), '0', limits, () => single([-1])), 'TOO_MANY_ELEMENTS');
  });
});

describe('encodeInferResponse', () => {
  const probs: Tensor = { name: 'probs', datatype: 'FP32', shape: [1, 2], data: Float32Array.from([0.25, 0.75]) };
  const label: Tensor = { name: 'label', datatype: 'INT64', shape: [1], data: BigInt64Array.from([3n]) };
  const response = (outputs: Tensor[], extra: Partial<InferResponse> = {}): InferResponse =>
    ({ model_name: 'm', model_version: '2', outputs, ...extra });

  /** Splits a binary response into its JSON header and the bytes after it. */
  function parseBinary(out: ReturnType<typeof encodeInferResponse>): { doc: any; rest: Uint8Array } {
    assert.equal(out.contentType, 'application/octet-stream');
    const body = out.body as Uint8Array;
    const doc = JSON.parse(Buffer.from(body.subarray(0, out.headerLength)).toString('utf8'));
    return { doc, rest: body.subarray(out.headerLength) };
  }

  test('answers JSON by default, echoing the request id', () => {
    const out = encodeInferResponse({ id: 'r-9', inputs: [] }, response([probs, label]));
    assert.equal(out.contentType, 'application/json');
    assert.equal(out.headerLength, undefined);
    assert.deepEqual(JSON.parse(out.body as string), {
      model_name: 'm', model_version: '2', id: 'r-9',
      outputs: [
        { name: 'probs', datatype: 'FP32', shape: [1, 2], data: [0.25, 0.75] },
        { name: 'label', datatype: 'INT64', shape: [1], data: [3] },
      ],
    });
  });

  test('omits id when the request had none and includes response parameters when set', () => {
    const doc = JSON.parse(encodeInferResponse({ inputs: [] }, response([label], { parameters: { arm: 'b' } })).body as string);
    assert.equal('id' in doc, false);
    assert.deepEqual(doc.parameters, { arm: 'b' });
  });

  test('sends every output as binary when binary_data_output is set, with sizes and a header length', () => {
    const out = encodeInferResponse({ inputs: [], parameters: { binary_data_output: true } }, response([probs, label]));
    const { doc, rest } = parseBinary(out);
    assert.deepEqual(doc.outputs, [
      { name: 'probs', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
      { name: 'label', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } },
    ]);
    assert.deepEqual(new Float32Array(rest.slice(0, 8).buffer), probs.data);
    assert.deepEqual(new BigInt64Array(rest.slice(8).buffer), label.data);
  });

  test('lets a per-output binary_data override binary_data_output either way', () => {
    const on = encodeInferResponse({ inputs: [], outputs: [{ name: 'label', parameters: { binary_data: true } }] }, response([probs, label]));
    const a = parseBinary(on);
    assert.deepEqual(a.doc.outputs[0].data, [0.25, 0.75]);
    assert.deepEqual(a.doc.outputs[1].parameters, { binary_data_size: 8 });
    assert.equal(a.rest.byteLength, 8);
    const off = encodeInferResponse(
      { inputs: [], parameters: { binary_data_output: true }, outputs: [{ name: 'probs', parameters: { binary_data: false } }] },
      response([probs, label]),
    );
    const b = parseBinary(off);
    assert.deepEqual(b.doc.outputs[0].data, [0.25, 0.75]);
    assert.equal(b.rest.byteLength, 8);
  });

  test('always sends FP16 and BF16 outputs as binary', () => {
    const half: Tensor = { name: 'h', datatype: 'FP16', shape: [2], data: Uint16Array.from([0x3c00, 0]) };
    const { doc, rest } = parseBinary(encodeInferResponse({ inputs: [] }, response([half, label])));
    assert.deepEqual(doc.outputs[0].parameters, { binary_data_size: 4 });
    assert.deepEqual(doc.outputs[1].data, [3]);
    assert.deepEqual([...rest], [0x00, 0x3c, 0, 0]);
  });

  test('answers a raw request entirely in binary', () => {
    const req = decodeInferRequest(f32Bytes(1), '0', limits, () => ({ inputs: [{ name: 'in', datatype: 'FP32', shape: [-1] }], outputs: [] }));
    const words: Tensor = { name: 'w', datatype: 'BYTES', shape: [1], data: ['ok'] };
    const { doc, rest } = parseBinary(encodeInferResponse(req, response([label, words])));
    assert.deepEqual(doc.outputs.map((o: any) => o.parameters.binary_data_size), [8, 6]);
    assert.equal(rest.byteLength, 14);
  });
});
