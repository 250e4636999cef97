import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { DataType } from '../../../src/tensor/index.js';
import { RUNTIME_DATATYPES, identityModel, writeModel } from '../../../test/helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../../../test/helpers/server.js';
import { createGrpcServer, type GrpcServer } from '../../../src/server/grpc/index.js';
import { allowAll, bytesElements, connectGrpc, failure, rawBytes, type TestClient } from '../../helpers/grpc-client.js';

const INVALID_ARGUMENT = 3;
const LIMITS = { maxMessageBytes: 1024 * 1024, maxTensorElements: 256, maxInputs: 4 };

type Sample = { raw: Buffer; typed?: Record<string, unknown> };

/** Eight values per datatype, each type's extremes included, as raw bytes and as typed contents. */
function sample(dt: DataType): Sample {
  const ints = (field: string, data: Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array) =>
    ({ raw: rawBytes(data), typed: { [field]: Array.from(data) } });
  const bigs = (field: string, data: BigInt64Array | BigUint64Array) =>
    ({ raw: rawBytes(data), typed: { [field]: Array.from(data, String) } });
  switch (dt) {
    case 'BOOL': {
      const data = Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0]);
      return { raw: rawBytes(data), typed: { bool_contents: Array.from(data, (v) => v === 1) } };
    }
    case 'UINT8': return ints('uint_contents', Uint8Array.from([0, 1, 2, 127, 128, 200, 254, 255]));
    case 'INT8': return ints('int_contents', Int8Array.from([-128, -1, 0, 1, 2, 100, 126, 127]));
    case 'UINT16': return ints('uint_contents', Uint16Array.from([0, 1, 2, 300, 32768, 40000, 65534, 65535]));
    case 'INT16': return ints('int_contents', Int16Array.from([-32768, -1, 0, 1, 2, 300, 32766, 32767]));
    case 'UINT32': return ints('uint_contents', Uint32Array.from([0, 1, 2, 70000, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1, 5]));
    case 'INT32': return ints('int_contents', Int32Array.from([-(2 ** 31), -1, 0, 1, 2, 70000, 2 ** 31 - 2, 2 ** 31 - 1]));
    case 'UINT64': return bigs('uint64_contents', BigUint64Array.from([0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 9n]));
    case 'INT64': return bigs('int64_contents', BigInt64Array.from([-(2n ** 63n), -(2n ** 53n), -1n, 0n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n]));
    case 'FP16': return { raw: rawBytes(Uint16Array.from([0x3c00, 0xbc00, 0x0000, 0x7bff, 0x0001, 0x4000, 0xc000, 0x3555])) };
    case 'FP32': {
      const data = Float32Array.from([-1.5, 0, 1e-30, 3.25, 1e30, -7, 0.1, 42]);
      return { raw: rawBytes(data), typed: { fp32_contents: Array.from(data) } };
    }
    case 'FP64': {
      const data = Float64Array.from([-1.5, 0, 1e-300, 3.25, 1e300, -7, 0.1, 42]);
      return { raw: rawBytes(data), typed: { fp64_contents: Array.from(data) } };
    }
    case 'BYTES': {
      const data = ['cable needles', '', 'merino 🧶', 'ä', 'x', 'yarn', 'a b', 'z'];
      return { raw: rawBytes(data), typed: { bytes_contents: data.map((s) => Buffer.from(s, 'utf8')) } };
    }
    case 'BF16': throw new Error('onnxruntime-node cannot run BF16');
  }
}

const model = (dt: DataType) => `id_${dt.toLowerCase()}`;

describe('every datatype round-trips over gRPC, typed and raw, and bad tensors are INVALID_ARGUMENT', () => {
  let server: TestServer;
  let grpc: GrpcServer;
  let client: TestClient;
  before(async () => {
    const repo = await tempRepo();
    for (const dt of RUNTIME_DATATYPES) await writeModel(repo, model(dt), 1, identityModel(dt));
    server = await startTestServer(repo);
    grpc = createGrpcServer({ service: server.service, guard: allowAll, logger: pino({ level: 'silent' }), limits: LIMITS, modelControl: false });
    client = connectGrpc((await grpc.listen(0)).port);
  });
  after(async () => {
    client.close();
    await grpc.close();
    await server.close();
  });

  const infer = (dt: DataType, input: Record<string, unknown>, raw?: Buffer[]) =>
    client.call('ModelInfer', { model_name: model(dt), inputs: [{ name: 'x', datatype: dt, shape: [2, 4], ...input }], ...(raw ? { raw_input_contents: raw } : {}) });

  for (const dt of RUNTIME_DATATYPES) {
    const { raw, typed } = sample(dt);
    if (typed !== undefined) {
      test(`${dt} sent as typed contents comes back raw and equal`, async () => {
        const reply = await infer(dt, { contents: typed });
        assert.deepEqual(reply.outputs[0], { name: 'y', datatype: dt, shape: ['2', '4'], parameters: {}, contents: null });
        assert.deepEqual(reply.raw_output_contents, [raw]);
      });
    }
    test(`${dt} sent as raw_input_contents comes back raw and equal`, async () => {
      const reply = await infer(dt, {}, [raw]);
      assert.deepEqual(reply.raw_output_contents, [raw]);
      if (dt === 'BYTES') assert.equal(bytesElements(reply.raw_output_contents[0])[2], 'merino 🧶');
    });
  }

  test('INT64 and UINT64 values past 2^53 stay exact both ways', async () => {
    const reply = await infer('INT64', { contents: { int64_contents: ['9007199254740993', '-9223372036854775808', '0', '1', '2', '3', '4', '5'] } });
    const out = new BigInt64Array(Uint8Array.from(reply.raw_output_contents[0]).buffer);
    assert.equal(out[0], 2n ** 53n + 1n);
    assert.equal(out[1], -(2n ** 63n));
  });

  test('FP16 has no typed field: typed FP16 is INVALID_ARGUMENT', async () => {
    const f = await failure(infer('FP16', { contents: { uint_contents: [1, 2, 3, 4, 5, 6, 7, 8] } }));
    assert.deepEqual([f.code, f.skeinCode], [INVALID_ARGUMENT, 'INVALID_DATATYPE']);
  });

  test('raw contents one byte short or long of shape × element size are INVALID_ARGUMENT', async () => {
    for (const bytes of [31, 33, 0]) {
      const f = await failure(infer('FP32', {}, [Buffer.alloc(bytes)]));
      assert.deepEqual([f.code, f.skeinCode], [INVALID_ARGUMENT, 'BINARY_SIZE_MISMATCH'], `${bytes} bytes`);
    }
    const truncated = rawBytes(['abc', 'de', 'f', 'g', 'h', 'i', 'j', 'k']).subarray(0, -1);
    assert.equal((await failure(infer('BYTES', {}, [truncated]))).skeinCode, 'BINARY_SIZE_MISMATCH');
  });

  test('typed contents with one value too few or too many are INVALID_ARGUMENT', async () => {
    for (const n of [7, 9]) {
      const f = await failure(infer('FP32', { contents: { fp32_contents: new Array(n).fill(1) } }));
      assert.deepEqual([f.code, f.skeinCode], [INVALID_ARGUMENT, 'DATA_LENGTH_MISMATCH'], `${n} values`);
    }
    const none = await failure(infer('FP32', {}));
    assert.equal(none.skeinCode, 'DATA_LENGTH_MISMATCH');
  });

  test('values in the wrong typed field, out of range or invalid UTF-8 are INVALID_ARGUMENT', async () => {
    const wrongField = await failure(infer('FP32', { contents: { fp64_contents: [1, 2, 3, 4, 5, 6, 7, 8] } }));
    assert.equal(wrongField.skeinCode, 'INVALID_DATA');
    const tooBig = await failure(infer('INT8', { contents: { int_contents: [128, 0, 0, 0, 0, 0, 0, 0] } }));
    assert.equal(tooBig.skeinCode, 'VALUE_OUT_OF_RANGE');
    const tooSmall = await failure(infer('UINT16', { contents: { uint_contents: [65536, 0, 0, 0, 0, 0, 0, 0] } }));
    assert.equal(tooSmall.skeinCode, 'VALUE_OUT_OF_RANGE');
    const badUtf8 = await failure(infer('BYTES', { contents: { bytes_contents: [Buffer.from([0xff]), ...new Array(7).fill(Buffer.from('a'))] } }));
    assert.equal(badUtf8.skeinCode, 'INVALID_DATA');
  });

  test('negative dimensions, dimensions past 2^53 and shapes the model does not take are INVALID_ARGUMENT', async () => {
    for (const shape of [[-1, 4], ['9007199254740993', 1], [8]]) {
      const f = await failure(client.call('ModelInfer', {
        model_name: 'id_fp32', inputs: [{ name: 'x', datatype: 'FP32', shape, contents: { fp32_contents: new Array(8).fill(0) } }],
      }));
      assert.deepEqual([f.code, f.skeinCode], [INVALID_ARGUMENT, 'INVALID_SHAPE'], JSON.stringify(shape));
    }
  });

  test('a tensor of maxTensorElements is served; one row more is INVALID_ARGUMENT', async () => {
    const rows = LIMITS.maxTensorElements / 4;
    const ok = await client.call('ModelInfer', {
      model_name: 'id_fp32', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 4] }], raw_input_contents: [Buffer.alloc(rows * 16)],
    });
    assert.equal(ok.raw_output_contents[0].length, rows * 16);
    const f = await failure(client.call('ModelInfer', {
      model_name: 'id_fp32', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows + 1, 4] }], raw_input_contents: [Buffer.alloc((rows + 1) * 16)],
    }));
    assert.deepEqual([f.code, f.skeinCode], [INVALID_ARGUMENT, 'TOO_MANY_ELEMENTS']);
    assert.match(f.details, /maxTensorElements/);
  });

  test('mixing raw_input_contents with typed contents, or a raw entry count unlike the inputs, is INVALID_ARGUMENT', async () => {
    const { raw, typed } = sample('FP32');
    const mixed = await failure(infer('FP32', { contents: typed }, [raw]));
    assert.deepEqual([mixed.code, mixed.skeinCode], [INVALID_ARGUMENT, 'INVALID_REQUEST']);
    const extra = await failure(infer('FP32', {}, [raw, raw]));
    assert.deepEqual([extra.code, extra.skeinCode], [INVALID_ARGUMENT, 'INVALID_REQUEST']);
  });
});
