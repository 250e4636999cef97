/**
 * The baseline: the inference server a team would write in an afternoon. fastify 5 parses the
 * OIP JSON body, one onnxruntime-node session (default options) runs each request on the main
 * thread, the reply is OIP JSON. No batching, no worker threads.
 *
 * Usage: node --import tsx bench/baseline-server.ts <model-name> <model.onnx>
 * Prints `PORT <n>` once listening on 127.0.0.1 (port 0 = any free port).
 */
import Fastify from 'fastify';
import ort from 'onnxruntime-node';
import { announcePort, installProbe } from './lib/child-probe.js';

interface OipInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

const ORT_TYPES: Record<string, 'float32' | 'float64' | 'int32' | 'int64'> = {
  FP32: 'float32', FP64: 'float64', INT32: 'int32', INT64: 'int64',
};

function toTensor(input: OipInput): ort.Tensor {
  const type = ORT_TYPES[input.datatype];
  if (!type) throw new Error(`datatype ${input.datatype} is not supported by the baseline`);
  const flat = input.data.flat(Infinity) as number[];
  if (type === 'int64') return new ort.Tensor(type, BigInt64Array.from(flat, (v) => BigInt(v)), input.shape);
  const data = type === 'float32' ? Float32Array.from(flat) : type === 'float64' ? Float64Array.from(flat) : Int32Array.from(flat);
  return new ort.Tensor(type, data, input.shape);
}

const DATATYPE_NAMES: Record<string, string> = { float32: 'FP32', float64: 'FP64', int32: 'INT32', int64: 'INT64' };

async function main(): Promise<void> {
  const [modelName, modelPath] = process.argv.slice(2);
  if (!modelName || !modelPath) throw new Error('usage: baseline-server.ts <model-name> <model.onnx>');
  const session = await ort.InferenceSession.create(modelPath);
  const app = Fastify({ logger: false });
  app.get('/v2/health/ready', async () => ({ ready: true }));
  app.post<{ Params: { model: string }; Body: { id?: string; inputs: OipInput[] } }>(
    '/v2/models/:model/infer',
    async (request, reply) => {
      if (request.params.model !== modelName) return reply.code(404).send({ error: 'unknown model' });
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of request.body.inputs) feeds[input.name] = toTensor(input);
      const results = await session.run(feeds);
      const outputs = Object.entries(results).map(([name, t]) => ({
        name,
        datatype: DATATYPE_NAMES[t.type] ?? t.type,
        shape: t.dims,
        data: Array.from(t.data as Float32Array, Number),
      }));
      return { model_name: modelName, model_version: '1', id: request.body.id, outputs };
    },
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  installProbe();
  announcePort(Number(new URL(address).port));
  process.on('SIGTERM', () => {
    void app.close().then(() => session.release()).then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`baseline server failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
