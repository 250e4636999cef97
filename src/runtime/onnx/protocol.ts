import type { DataType, Signature, TensorData } from '../../tensor/types.js';
import type { RunTimings } from '../types.js';

/** Messages between the main thread and an ONNX worker thread. */
export interface WireTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  data: TensorData;
}

export type WorkerRequest =
  | { kind: 'load'; id: number; sessionId: number; filePath: string; intraOpThreads: number }
  | { kind: 'run'; id: number; sessionId: number; inputs: WireTensor[]; outputNames: string[] | undefined }
  | { kind: 'release'; id: number; sessionId: number };

export type WorkerReply =
  | { id: number; ok: true; signature?: Signature; outputs?: WireTensor[]; timings?: RunTimings }
  | { id: number; ok: false; message: string };

/** A request before the pool gives it an id (Omit distributed over the union). */
export type WorkerCall = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
