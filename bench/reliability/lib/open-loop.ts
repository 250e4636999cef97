/**
 * An open-loop (constant-arrival) load generator: request i is due at start + i / rate, whether or
 * not earlier ones have been answered, and its latency is counted from when it was due. A closed
 * loop (autocannon's default) slows down when the server does and so hides the queueing a real
 * client population would see (coordinated omission).
 */
import { Pool } from 'undici';
import { sleepMs } from './stats.js';

export interface Shot {
  /** When the request was due, ms since the run started. */
  dueMs: number;
  latencyMs: number;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  /** The reply's `model_version`, when it had one. */
  version?: string;
  /** The first element of the first output, when there was one. */
  firstValue?: number;
  /** The error code of a non-2xx reply, or the socket error's code. */
  code?: string;
  /** What the caller's `tag` returned when the request was due (e.g. the latest published version). */
  tagSent: number;
  /** What `tag` returned when the reply arrived. */
  tagAnswered: number;
}

export interface OpenLoopOptions {
  origin: string;
  path: string;
  body: string;
  ratePerS: number;
  durationMs: number;
  /** Most sockets; beyond this requests wait in the pool, and that wait counts in their latency. */
  connections?: number;
  /** Read when each request is due and again when it is answered; see Shot.tagSent. */
  tag?: () => number;
  /** Stops issuing requests early (the ones already sent are still awaited). */
  shouldStop?: () => boolean;
}

export interface OpenLoopRun {
  shots: Shot[];
  /** Requests per second actually issued (lower than asked when this process could not keep up). */
  issuedPerS: number;
  elapsedMs: number;
}

const DEFAULT_CONNECTIONS = 128;

function parseReply(text: string): Pick<Shot, 'version' | 'firstValue' | 'code'> {
  try {
    const body = JSON.parse(text) as { model_version?: string; outputs?: { data?: number[] }[]; code?: string };
    return { version: body.model_version, firstValue: body.outputs?.[0]?.data?.[0], code: body.code };
  } catch {
    return { code: 'UNPARSABLE_REPLY' };
  }
}

async function fire(pool: Pool, options: OpenLoopOptions, dueAbsMs: number, startMs: number): Promise<Shot> {
  const dueMs = dueAbsMs - startMs;
  const tagSent = options.tag?.() ?? 0;
  const tagAnswered = (): number => options.tag?.() ?? 0;
  try {
    const res = await pool.request({ path: options.path, method: 'POST', body: options.body, headers: { 'content-type': 'application/json' } });
    const text = await res.body.text();
    return { dueMs, latencyMs: performance.now() - dueAbsMs, status: res.statusCode, tagSent, tagAnswered: tagAnswered(), ...parseReply(text) };
  } catch (err) {
    return { dueMs, latencyMs: performance.now() - dueAbsMs, status: 0, tagSent, tagAnswered: tagAnswered(), code: (err as { code?: string }).code ?? 'SOCKET_ERROR' };
  }
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopRun> {
  const pool = new Pool(options.origin, { connections: options.connections ?? DEFAULT_CONNECTIONS, pipelining: 1 });
  const intervalMs = 1000 / options.ratePerS;
  const pending: Promise<Shot>[] = [];
  const startMs = performance.now();
  let issued = 0;
  try {
    for (;;) {
      const now = performance.now();
      if (now - startMs >= options.durationMs || options.shouldStop?.()) break;
      // Timers wake about once a millisecond: send every request that has come due since.
      while (startMs + issued * intervalMs <= now) {
        pending.push(fire(pool, options, startMs + issued * intervalMs, startMs));
        issued++;
      }
      await sleepMs(Math.max(0, startMs + issued * intervalMs - performance.now()));
    }
    const elapsedMs = performance.now() - startMs;
    const shots = await Promise.all(pending);
    return { shots, issuedPerS: (issued * 1000) / elapsedMs, elapsedMs };
  } finally {
    await pool.close();
  }
}

/** The OIP infer body every REST bench sends to the add models: one row of four 10s. */
export const ADD_BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [10, 10, 10, 10] }] });
export const ADD_INPUT_VALUE = 10;
