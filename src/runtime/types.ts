import type { Signature, Tensor } from '../tensor/types.js';

/**
 * A runtime executes versions of models. One interface, several implementations (ONNX Runtime
 * first). Implementations own their threads: run() must not block the event loop.
 */
export interface LoadOptions {
  modelName: string;
  version: string;
  /** Absolute path of the model file (already checked to lie inside the repository). */
  filePath: string;
  /** Sessions (parallel instances) to create for this version. */
  instances: number;
  /** Intra-op threads per instance. */
  intraOpThreads: number;
  /** Intra-op threads of the inline (main-thread) session, when one is enabled; default 1. */
  inlineIntraOpThreads?: number;
}

export interface RunTimings {
  /** Nanoseconds spent preparing inputs, running the graph, and collecting outputs. */
  inputNs: number;
  inferNs: number;
  outputNs: number;
}

export interface LoadedModel {
  readonly signature: Signature;
  readonly instances: number;
  /**
   * Runs one batch on instance `instance` (0 ≤ instance < instances). Inputs are named; outputs
   * come back for `outputNames` (all outputs when absent). Typed array buffers may be transferred
   * to a worker: callers must not reuse input buffers after calling run().
   */
  run(instance: number, inputs: Tensor[], outputNames?: string[]): Promise<{ outputs: Tensor[]; timings: RunTimings }>;
  /**
   * Optional: a session on the calling (main) thread for versions so fast that the round trip to
   * a worker costs more than the run. runInline blocks the event loop for the run, so callers use
   * it only for short runs when nothing else is waiting. enableInline resolves when it is ready.
   */
  enableInline?(): Promise<void>;
  /** False while the runtime's workers run anything: an inline run would compete for their cores. */
  canRunInline?(): boolean;
  runInline?(inputs: Tensor[], outputNames?: string[]): Promise<{ outputs: Tensor[]; timings: RunTimings }>;
  /** Frees native memory. Must be called exactly once, after the last run() settled. */
  release(): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  /** e.g. onnx_onnxv1 */
  readonly platform: string;
  /** File name inside a version directory, e.g. model.onnx. */
  readonly defaultFileName: string;
  load(options: LoadOptions): Promise<LoadedModel>;
  close(): Promise<void>;
}
