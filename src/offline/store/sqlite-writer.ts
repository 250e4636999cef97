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
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly path: string, private readonly busyTimeoutMs: number) {}

  private start(): Worker {
    const w = startModuleWorker(import.meta.url, 'sqlite-writer-worker', { path: this.path, busyTimeoutMs: this.busyTimeoutMs });
    w.on('message', (reply: WriterReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      if (reply.ok) p.resolve();
      else p.reject(reply.code ? new ServingError(reply.code, reply.message) : new Error(reply.message));
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the SQLite writer thread stopped')));
    this.worker = w;
    return w;
  }

  write(chunk: EncodedChunk): Promise<void> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    w.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ kind: 'write', id, chunk: toWire(chunk) } satisfies WriterCall);
    });
  }

  /** Waits for the chunks already sent, then stops the thread and closes its connection. */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    // An idle thread is unref'd; waiting for its exit must keep the process up.
    w.ref();
    w.postMessage({ kind: 'close' } satisfies WriterCall);
    await exited;
  }
}
