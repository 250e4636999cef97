import type { Worker } from 'node:worker_threads';
import { ServingError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { startModuleWorker } from '../../util/index.js';
import type { EncodedChunk } from './sqlite-chunks.js';

/**
 * A chunk on its way to the writer thread: keys and JSON values each joined by '\n' (neither a
 * key, which holds no control characters, nor JSON text can hold one), so the message copies two
 * strings instead of cloning thousands.
 */
export interface WireChunk {
  set: string;
  runId: string;
  chunkIndex: number;
  keys: string;
  values: string;
  rejected: number;
}

export type WriterCall = { kind: 'write'; id: number; chunk: WireChunk } | { kind: 'close' };

export function toWire(c: EncodedChunk): WireChunk {
  return { set: c.set, runId: c.runId, chunkIndex: c.chunkIndex, keys: c.keys.join('\n'), values: c.values.join('\n'), rejected: c.rejected };
}

export function fromWire(w: WireChunk): EncodedChunk {
  // Keys are never empty, so empty text is a chunk of no rows.
  const split = (text: string): string[] => (w.keys === '' ? [] : text.split('\n'));
  return { set: w.set, runId: w.runId, chunkIndex: w.chunkIndex, keys: split(w.keys), values: split(w.values), rejected: w.rejected };
}
export type WriterReply = { id: number; ok: true } | { id: number; ok: false; code?: ErrorCode; message: string };

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Chunk writes of a SQLite store on a thread of their own: SQLite's inserts (about 3 µs a row
 * here) then overlap with reading and encoding the next rows instead of taking turns with them
 * on the event loop. The thread opens its own connection to the same file (WAL: readers are
 * never blocked, and the main connection's writes wait up to the busy timeout). Chunks commit in
 * the order they were sent. A thread that dies fails what it owed; the next write starts a new
 * one. Callers bound how many chunks are in flight (the batch job: --max-pending-chunks).
 */
export class SqliteChunkWriter {
  /** The live thread and the writes it owes; a thread that dies fails only its own writes. */
  private thread: { worker: Worker; pending: Map<number, Pending> } | undefined;
  private nextId = 1;

  constructor(private readonly path: string, private readonly busyTimeoutMs: number) {}

  private start(): { worker: Worker; pending: Map<number, Pending> } {
    const w = startModuleWorker(import.meta.url, 'sqlite-writer-worker', { path: this.path, busyTimeoutMs: this.busyTimeoutMs });
    const thread = { worker: w, pending: new Map<number, Pending>() };
    const { pending } = thread;
    w.on('message', (reply: WriterReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve();
      else p.reject(reply.code ? new ServingError(reply.code, reply.message) : new Error(reply.message));
    });
    const fail = (err: Error): void => {
      if (this.thread === thread) this.thread = undefined;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the SQLite writer thread stopped')));
    this.thread = thread;
    return thread;
  }

  write(chunk: EncodedChunk): Promise<void> {
    const { worker, pending } = this.thread ?? this.start();
    const id = this.nextId++;
    worker.ref();
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ kind: 'write', id, chunk: toWire(chunk) } satisfies WriterCall);
    });
  }

  /** Waits for the chunks already sent, then stops the thread and closes its connection. */
  async close(): Promise<void> {
    const w = this.thread?.worker;
    if (!w) return;
    this.thread = undefined;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    // An idle thread is unref'd; waiting for its exit must keep the process up.
    w.ref();
    w.postMessage({ kind: 'close' } satisfies WriterCall);
    await exited;
  }
}
