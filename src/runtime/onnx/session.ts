/**
 * onnxruntime-node sessions: creation, signature, and one run. Used inside worker threads and,
 * for versions small enough to run inline, on the main thread.
 */
import ort from 'onnxruntime-node';
import type { Signature, TensorSpec } from '../../tensor/types.js';
import type { RunTimings } from '../types.js';
import type { WireTensor } from './protocol.js';
import { fromOrtType, toOrtType } from './types-map.js';

function specOf(meta: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) throw new Error(`value '${meta.name}' is not a tensor; only tensor inputs and outputs are supported`);
  const datatype = fromOrtType(meta.type);
  if (!datatype) throw new Error(`value '${meta.name}' has unsupported element type ${meta.type}`);
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: meta.name, datatype, shape };
}

export async function createSession(bytes: Uint8Array, intraOpThreads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

export function signatureOf(session: ort.InferenceSession): Signature {
  return { inputs: session.inputMetadata.map(specOf), outputs: session.outputMetadata.map(specOf) };
}

export interface RunOutcome {
  outputs: WireTensor[];
  timings: RunTimings;
  /** Output buffers that may be moved to another thread without a copy. */
  transfer: ArrayBuffer[];
}

export async function runSession(session: ort.InferenceSession, inputs: readonly WireTensor[], outputNames: string[] | undefined): Promise<RunOutcome> {
  const t0 = process.hrtime.bigint();
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) {
    const type = toOrtType(t.datatype);
    if (!type) throw new Error(`datatype ${t.datatype} is not supported by onnxruntime-node`);
    feeds[t.name] = new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape);
  }
  const t1 = process.hrtime.bigint();
  const results = await session.run(feeds, outputNames ?? session.outputNames);
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
  return { outputs, transfer, timings: { inputNs: Number(t1 - t0), inferNs: Number(t2 - t1), outputNs: Number(t3 - t2) } };
}
