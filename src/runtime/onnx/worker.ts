/**
 * An ONNX worker thread. onnxruntime-node runs session creation and session.run synchronously on
 * the calling thread, so every session lives here and the main event loop stays free for I/O.
 * Messages are handled one at a time, in order; a thread runs one graph at a time.
 */
import { parentPort } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import type ort from 'onnxruntime-node';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { createSession, runSession, signatureOf } from './session.js';

const port = parentPort;
if (!port) throw new Error('onnx worker must run in a worker thread');

const sessions = new Map<number, ort.InferenceSession>();

async function handle(msg: WorkerRequest): Promise<void> {
  try {
    if (msg.kind === 'load') {
      // Creating from a buffer keeps memory flat over many load/unload cycles (perf-probe Q6).
      const session = await createSession(await readFile(msg.filePath), msg.intraOpThreads);
      sessions.set(msg.sessionId, session);
      port!.postMessage({ id: msg.id, ok: true, signature: signatureOf(session) } satisfies WorkerReply);
    } else if (msg.kind === 'run') {
      const session = sessions.get(msg.sessionId);
      if (!session) throw new Error('session is not loaded');
      const { outputs, timings, transfer } = await runSession(session, msg.inputs, msg.outputNames);
      port!.postMessage({ id: msg.id, ok: true, outputs, timings } satisfies WorkerReply, transfer);
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
