import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { ServingError } from '../../errors/index.js';
import { writeEncodedChunk } from './sqlite-chunks.js';
import { fromWire } from './sqlite-writer.js';
import type { WriterCall, WriterReply } from './sqlite-writer.js';

/** The SQLite writer thread: its own connection to the store's file, one chunk per message. */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);

parentPort!.on('message', (call: WriterCall) => {
  if (call.kind === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: WriterReply;
  try {
    writeEncodedChunk(db, fromWire(call.chunk));
    reply = { id: call.id, ok: true };
  } catch (err) {
    reply = err instanceof ServingError
      ? { id: call.id, ok: false, code: err.code, message: err.message }
      : { id: call.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
