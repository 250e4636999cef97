import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/index.js';
import type { WorkerCall, WorkerReply } from './protocol.js';

type Pending = { resolve: (r: WorkerReply & { ok: true }) => void; reject: (e: Error) => void };

/**
 * One worker thread and its outstanding requests. A worker that dies rejects everything it owed;
 * the next request starts a fresh thread (its sessions are gone, so their runs fail clearly).
 */
export class OnnxWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Sessions placed on this thread, for least-loaded placement. */
  sessions = 0;

  private start(): Worker {
    const w = startModuleWorker(import.meta.url, 'worker');
    w.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) {
        w.unref();
        for (const f of this.idleWaiters.splice(0)) f();
      }
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(reply.message));
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const f of this.idleWaiters.splice(0)) f();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`onnx worker exited with code ${code}`)));
    // An idle pool must not keep the process alive; a pending request must.
    w.unref();
    this.worker = w;
    return w;
  }

  request(msg: WorkerCall, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('the onnx runtime is closed'));
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Waits (up to maxWaitMs) for outstanding requests, then stops the thread. Terminating a thread
   * inside a native onnxruntime call aborts the whole process, so a load or run that is still
   * going (for example one abandoned after its load timeout) is allowed to finish first.
   */
  async terminate(maxWaitMs = 30_000): Promise<void> {
    if (this.pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, maxWaitMs); }),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
