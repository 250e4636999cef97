/**
 * An ONNX worker thread. onnxruntime-node runs session creation and session.run synchronously on
 * the calling thread, so every session lives here and the main event loop stays free for I/O.
 * Messages are handled one at a time, in order; a thread runs one graph at a time.
 */
import { parentPort } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import type { Signature, TensorSpec } from '../../tensor/types.js';
import type { WireTensor, WorkerReply, WorkerRequest } from './protocol.js';
import { fromOrtType, toOrtType } from './types-map.js';

const port = parentPort;
if (!port) throw new Error('onnx worker must run in a worker thread');

const sessions = new Map<number, ort.InferenceSession>();

function specOf(meta: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) throw new Error(`value '${meta.name}' is not a tensor; only tensor inputs and outputs are supported`);
  const datatype = fromOrtType(meta.type);
  if (!datatype) throw new Error(`value '${meta.name}' has unsupported element type ${meta.type}`);
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: meta.name, datatype, shape };
}

async function load(msg: Extract<WorkerRequest, { kind: 'load' }>): Promise<WorkerReply> {
  // Creating from a buffer keeps memory flat over many load/unload cycles (perf-probe Q6).
  const bytes = await readFile(msg.filePath);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: msg.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const signature: Signature = {
    inputs: session.inputMetadata.map(specOf),
    outputs: session.outputMetadata.map(specOf),
  };
  sessions.set(msg.sessionId, session);
  return { id: msg.id, ok: true, signature };
}

async function run(msg: Extract<WorkerRequest, { kind: 'run' }>): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const session = sessions.get(msg.sessionId);
  if (!session) throw new Error('session is not loaded');
  const t0 = process.hrtime.bigint();
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of msg.inputs) {
    const type = toOrtType(t.datatype);
    if (!type) throw new Error(`datatype ${t.datatype} is not supported by onnxruntime-node`);
    feeds[t.name] = new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape);
  }
  const t1 = process.hrtime.bigint();
  const results = await session.run(feeds, msg.outputNames ?? session.outputNames);
  const t2 = process.hrtime.bigint();
  const outputs: WireTensor[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const [name, value] of Object.entries(results)) {
    const datatype = fromOrtType(value.type);
    if (!datatype) throw new Error(`output '${name}' has unsupported element type ${value.type}`);
    const data = value.data as WireTensor['data'];
    outputs.push({ name, datatype, shape: value.dims.map(Number), data });
    if (!Array.isArray(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
      transfer.push(data.buffer);
    }
    value.dispose();
  }
  const t3 = process.hrtime.bigint();
  const timings = { inputNs: Number(t1 - t0), inferNs: Number(t2 - t1), outputNs: Number(t3 - t2) };
  return { reply: { id: msg.id, ok: true, outputs, timings }, transfer };
}

async function handle(msg: WorkerRequest): Promise<void> {
  try {
    if (msg.kind === 'load') {
      port!.postMessage(await load(msg));
    } else if (msg.kind === 'run') {
      const { reply, transfer } = await run(msg);
      port!.postMessage(reply, transfer);
    } else {
      const session = sessions.get(msg.sessionId);
      sessions.delete(msg.sessionId);
      // release() returns native memory; dropping the reference alone does not (perf-probe Q6).
      if (session) await session.release();
      port!.postMessage({ id: msg.id, ok: true } satisfies WorkerReply);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    port!.postMessage({ id: msg.id, ok: false, message } satisfies WorkerReply);
  }
}

// Serialize: a second message waits until the first settles, so one graph runs at a time per thread.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: WorkerRequest) => {
  chain = chain.then(() => handle(msg));
});
