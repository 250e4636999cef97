/**
 * Probe: the fixed costs of one batch-1 request inside Skein, measured one call at a time (the
 * c=1 case, where latency is a chain of these): in-thread session.run, the same run through
 * Skein's worker-thread runtime, and the OIP JSON decode + encode of the bench's body.
 *
 *   node --import tsx bench/probes/hop.ts [seconds-each=1]
 *
 * The codec is imported from its file, not an area index: this is a diagnostic, not a client.
 */
import { rm } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { OnnxRuntime } from '../../src/runtime/index.js';
import { decodeInferRequest, encodeInferResponse } from '../../src/server/http/oip-codec.js';
import { inferBody, prepareModel } from '../lib/model.js';

async function timeCalls(label: string, seconds: number, call: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < 200; i++) await call();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (p: number): string => ((times[Math.floor((p / 100) * times.length)] ?? 0) * 1000).toFixed(1);
  process.stdout.write(`${label.padEnd(44)} p50 ${at(50).padStart(7)} µs  p99 ${at(99).padStart(7)} µs  (${times.length} calls)\n`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 1);
  const model = await prepareModel('mlp_small');
  const row = () => new Float32Array(model.features).fill(0.5);

  const session = await ort.InferenceSession.create(model.filePath, { intraOpNumThreads: 1, executionMode: 'sequential' });
  await timeCalls('in-thread session.run b1 (intra 1)', seconds, () =>
    session.run({ [model.inputName]: new ort.Tensor('float32', row(), [1, model.features]) }));
  await session.release();

  const runtime = new OnnxRuntime({ workers: 2 });
  const loaded = await runtime.load({ modelName: model.name, version: '1', filePath: model.filePath, instances: 1, intraOpThreads: 1 });
  await timeCalls('skein worker runtime run b1 (round trip)', seconds, () =>
    loaded.run(0, [{ name: model.inputName, datatype: 'FP32', shape: [1, model.features], data: row() }]));
  await loaded.release();
  await runtime.close();

  const body = new TextEncoder().encode(inferBody(model, 1));
  const limits = { maxJsonDepth: 64, maxTensorElements: 16 * 1024 * 1024, maxInputs: 256 };
  const noSignature = () => { throw new Error('not needed for JSON bodies'); };
  await timeCalls('OIP JSON decode (5 KB body)', seconds, () => decodeInferRequest(body, undefined, limits, noSignature));
  const decoded = decodeInferRequest(body, undefined, limits, noSignature);
  const response = { model_name: model.name, model_version: '1', outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [1, 1], data: new Float32Array([0.5]) }] };
  await timeCalls('OIP JSON encode (1 output value)', seconds, () => encodeInferResponse(decoded, response));
  await timeCalls('JSON.parse alone (same body)', seconds, () => JSON.parse(Buffer.from(body).toString('utf8')));
  await rm(model.repoDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
