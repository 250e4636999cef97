import { availableParallelism } from 'node:os';
import type { Tensor, TensorData } from '../../tensor/types.js';
import type { LoadOptions, LoadedModel, Runtime } from '../types.js';
import { OnnxWorker } from './pool.js';
import type { WireTensor } from './protocol.js';
import { readFile } from 'node:fs/promises';
import type ort from 'onnxruntime-node';
import { createSession, runSession } from './session.js';

export interface OnnxRuntimeOptions {
  /** Worker threads shared by every loaded version. Default: the number of cores. */
  workers?: number;
}

/** A typed array can be moved to the worker only when it owns its whole buffer. */
function transferable(data: TensorData): ArrayBuffer | undefined {
  if (Array.isArray(data)) return undefined;
  const buf = data.buffer;
  if (!(buf instanceof ArrayBuffer)) return undefined;
  return data.byteOffset === 0 && data.byteLength === buf.byteLength ? buf : undefined;
}

/**
 * ONNX Runtime behind worker threads. Each instance of a version is one session on one worker;
 * instances of a version are spread over the least-loaded workers, so with the defaults
 * (workers = cores, 1 intra-op thread each) the process never runs more ONNX threads than cores.
 */
export class OnnxRuntime implements Runtime {
  readonly name = 'onnxruntime';
  readonly platform = 'onnxruntime_onnx';
  readonly defaultFileName = 'model.onnx';
  private readonly workers: OnnxWorker[];
  /** Runs sent to workers and not yet answered, over every model. */
  private runsInFlight = 0;
  private nextSessionId = 1;

  constructor(options: OnnxRuntimeOptions = {}) {
    const n = options.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new Error('workers must be a positive integer');
    this.workers = Array.from({ length: n }, () => new OnnxWorker());
  }

  get workerCount(): number {
    return this.workers.length;
  }

  async load(options: LoadOptions): Promise<LoadedModel> {
    const runtime = this;
    const count = Math.min(options.instances, this.workers.length);
    const chosen = [...this.workers].sort((a, b) => a.sessions - b.sessions).slice(0, count);
    const placed: { worker: OnnxWorker; sessionId: number }[] = [];
    for (const worker of chosen) {
      worker.sessions++;
      placed.push({ worker, sessionId: this.nextSessionId++ });
    }
    const releaseAll = async (): Promise<void> => {
      await Promise.allSettled(placed.map((p) => p.worker.request({ kind: 'release', sessionId: p.sessionId })));
      for (const p of placed) p.worker.sessions--;
    };
    let replies;
    try {
      replies = await Promise.all(placed.map((p) =>
        p.worker.request({ kind: 'load', sessionId: p.sessionId, filePath: options.filePath, intraOpThreads: options.intraOpThreads }),
      ));
    } catch (err) {
      await releaseAll();
      throw err;
    }
    const signature = replies[0]?.signature;
    if (!signature) throw new Error('worker returned no signature');
    let released = false;
    let inline: ort.InferenceSession | undefined;
    return {
      signature,
      instances: placed.length,
      async run(instance: number, inputs: Tensor[], outputNames?: string[]) {
        const p = placed[instance];
        if (!p || released) throw new Error(`instance ${instance} is not loaded`);
        const transfer: ArrayBuffer[] = [];
        const wire: WireTensor[] = inputs.map((t) => {
          const buf = transferable(t.data);
          if (buf && !transfer.includes(buf)) transfer.push(buf);
          return { name: t.name, datatype: t.datatype, shape: t.shape, data: t.data };
        });
        runtime.runsInFlight++;
        let reply;
        try {
          reply = await p.worker.request({ kind: 'run', sessionId: p.sessionId, inputs: wire, outputNames }, transfer);
        } finally {
          runtime.runsInFlight--;
        }
        return { outputs: reply.outputs ?? [], timings: reply.timings ?? { inputNs: 0, inferNs: 0, outputNs: 0 } };
      },
      async enableInline() {
        if (inline || released) return;
        // More than one thread is used only while every worker is idle (canRunInline), so the
        // process stays within its thread budget.
        inline = await createSession(await readFile(options.filePath), options.inlineIntraOpThreads ?? 1);
      },
      canRunInline: () => runtime.runsInFlight === 0,
      async runInline(inputs: Tensor[], outputNames?: string[]) {
        if (!inline || released) throw new Error('inline session is not loaded');
        const { outputs, timings } = await runSession(inline, inputs, outputNames);
        return { outputs, timings };
      },
      async release() {
        if (released) return;
        released = true;
        const session = inline;
        inline = undefined;
        await Promise.all([releaseAll(), session?.release()]);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
