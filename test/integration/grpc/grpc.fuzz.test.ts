import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pino } from 'pino';
import { DATATYPES } from '../../../src/tensor/index.js';
import { identityModel, writeModel } from '../../../test/helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../../../test/helpers/server.js';
import { createGrpcServer, type GrpcServer } from '../../../src/server/grpc/index.js';
import { allowAll, connectGrpc, failureOf, rawBytes, type TestClient } from '../../helpers/grpc-client.js';

const MODELS = ['FP32', 'INT64', 'BYTES', 'BOOL', 'UINT8'] as const;
type ModelType = (typeof MODELS)[number];
const OK = 0;
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const MAX_ROWS = 3;
const WIDTH = 4;

/** Any typed field with values of its own wire type, so the client can always encode them. */
const junkContents = fc.oneof(
  fc.record({ bool_contents: fc.array(fc.boolean(), { maxLength: 12 }) }),
  fc.record({ int_contents: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 12 }) }),
  fc.record({ uint_contents: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 12 }) }),
  fc.record({ int64_contents: fc.array(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String), { maxLength: 12 }) }),
  fc.record({ uint64_contents: fc.array(fc.bigInt(0n, 2n ** 64n - 1n).map(String), { maxLength: 12 }) }),
  fc.record({ fp32_contents: fc.array(fc.float(), { maxLength: 12 }) }),
  fc.record({ fp64_contents: fc.array(fc.double(), { maxLength: 12 }) }),
  fc.record({ bytes_contents: fc.array(fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)), { maxLength: 12 }) }),
);

const dimension = fc.oneof(
  fc.integer({ min: 0, max: 6 }),
  fc.integer({ min: -3, max: -1 }),
  fc.constantFrom('4294967296', '9007199254740993', '9223372036854775807'),
);

const count = MAX_ROWS * WIDTH;
const VALUES: Record<ModelType, fc.Arbitrary<unknown[]>> = {
  FP32: fc.array(fc.float(), { minLength: count, maxLength: count }),
  INT64: fc.array(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), { minLength: count, maxLength: count }),
  BYTES: fc.array(fc.string({ maxLength: 5 }), { minLength: count, maxLength: count }),
  BOOL: fc.array(fc.boolean(), { minLength: count, maxLength: count }),
  UINT8: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: count, maxLength: count }),
};

/** A valid tensor of `dt` as typed contents and as raw bytes. */
function encode(dt: ModelType, values: unknown[]): { typed: Record<string, unknown>; raw: Buffer } {
  switch (dt) {
    case 'FP32': return { typed: { fp32_contents: values }, raw: rawBytes(Float32Array.from(values as number[])) };
    case 'INT64': return { typed: { int64_contents: values.map(String) }, raw: rawBytes(BigInt64Array.from(values as bigint[])) };
    case 'BYTES': return { typed: { bytes_contents: (values as string[]).map((s) => Buffer.from(s)) }, raw: rawBytes(values as string[]) };
    case 'BOOL': return { typed: { bool_contents: values }, raw: rawBytes(Uint8Array.from(values as boolean[], Number)) };
    case 'UINT8': return { typed: { uint_contents: values }, raw: rawBytes(Uint8Array.from(values as number[])) };
  }
}

const MUTATIONS = [
  'none', 'none', 'none', 'datatype', 'dimension', 'rank', 'count', 'mix', 'junk-contents', 'junk-raw',
  'model', 'input-name', 'output', 'extra-raw', 'extra-input',
] as const;

/** A valid request for one identity model, then at most one thing made wrong. */
const request = fc.constantFrom(...MODELS).chain((dt) => fc.record({
  dt: fc.constant(dt),
  rows: fc.integer({ min: 0, max: MAX_ROWS }),
  raw: fc.boolean(),
  values: VALUES[dt],
  mutation: fc.constantFrom(...MUTATIONS),
  datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.constantFrom('', 'FLOAT', 'fp32')),
  dim: dimension,
  at: fc.integer({ min: 0, max: 2 }),
  junkContents,
  junkRaw: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
})).map((g) => {
  const { typed, raw } = encode(g.dt, g.values.slice(0, g.rows * WIDTH));
  const input: Record<string, unknown> = { name: 'x', datatype: g.dt, shape: [g.rows, WIDTH] };
  const r: Record<string, unknown> = { model_name: `id_${g.dt.toLowerCase()}`, inputs: [input] };
  if (g.raw) r.raw_input_contents = [raw];
  else input.contents = typed;
  switch (g.mutation) {
    case 'none': break;
    case 'datatype': input.datatype = g.datatype; break;
    case 'dimension': (input.shape as unknown[])[g.at % 2] = g.dim; break;
    case 'rank': (input.shape as unknown[]).splice(g.at, 0, g.dim); break;
    case 'count':
      if (g.raw) r.raw_input_contents = [g.at === 0 ? raw.subarray(1) : Buffer.concat([raw, Buffer.alloc(1)])];
      else input.contents = encode(g.dt, g.values.slice(0, g.rows * WIDTH + (g.at === 0 ? -1 : 1))).typed;
      break;
    case 'mix': r.raw_input_contents = [raw]; input.contents = typed; break;
    case 'junk-contents': delete r.raw_input_contents; input.contents = g.junkContents; break;
    case 'junk-raw': delete input.contents; r.raw_input_contents = [g.junkRaw]; break;
    case 'model': r.model_name = ['nope', '', '../x'][g.at]; break;
    case 'input-name': input.name = ['y', '', 'x'.repeat(200)][g.at]; break;
    case 'output': r.outputs = [{ name: ['z', 'y', ''][g.at] }]; break;
    case 'extra-raw': r.raw_input_contents = [raw, g.junkRaw]; break;
    case 'extra-input': (r.inputs as unknown[]).push({ ...input, name: 'x2' }); break;
  }
  return r;
});

describe('ModelInfer under generated near-valid requests', () => {
  let server: TestServer;
  let grpc: GrpcServer;
  let client: TestClient;
  before(async () => {
    const repo = await tempRepo();
    for (const dt of MODELS) await writeModel(repo, `id_${dt.toLowerCase()}`, 1, identityModel(dt));
    server = await startTestServer(repo);
    grpc = createGrpcServer({
      service: server.service, guard: allowAll, logger: pino({ level: 'silent' }), modelControl: false,
      limits: { maxMessageBytes: 64 * 1024, maxTensorElements: 1024, maxInputs: 2 },
    });
    client = connectGrpc((await grpc.listen(0)).port);
  });
  after(async () => {
    client.close();
    await grpc.close();
    await server.close();
  });

  test('every reply is OK or a coded INVALID_ARGUMENT or NOT_FOUND, and the server keeps serving', async () => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let code = OK;
        let skeinCode: string | undefined;
        try {
          await client.call('ModelInfer', r);
          served++;
        } catch (err) {
          ({ code, skeinCode } = failureOf(err));
        }
        assert.ok([OK, INVALID_ARGUMENT, NOT_FOUND].includes(code), `status ${code} (${skeinCode})`);
        if (code !== OK) assert.ok(skeinCode !== undefined && skeinCode !== 'INTERNAL', 'the failure carries a Skein code');
      }),
      { numRuns: 300 },
    );
    // The generator must reach the model, not only the decoder's first check.
    assert.ok(served >= 30, `only ${served} of 300 generated requests were valid`);
    const reply = await client.call('ModelInfer', {
      model_name: 'id_fp32', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
    });
    assert.deepEqual(reply.raw_output_contents, [rawBytes(Float32Array.from([1, 2, 3, 4]))]);
  });
});
