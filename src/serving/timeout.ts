import type { InferRequest } from './types.js';

/** Node timers cannot wait longer than 2^31−1 ms (they would fire at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a request may wait in the queue, in ms (0 = no limit). Pure. Inputs: the transport's
 * own limit (`timeoutMs`, e.g. a gRPC client deadline), Triton's `timeout` request parameter in
 * microseconds (ignored unless a positive number), and the model's default. A request may shorten
 * the model's default, never extend it; a value past the timer limit means "none".
 */
export function queueTimeoutMs(request: Pick<InferRequest, 'timeoutMs' | 'parameters'>, defaultMs: number): number {
  // Called once per request: plain comparisons, no arrays.
  let ms = defaultMs > 0 ? defaultMs : Infinity;
  const timeoutUs = request.parameters?.timeout;
  if (typeof timeoutUs === 'number' && timeoutUs > 0) ms = Math.min(ms, timeoutUs / 1000);
  if (request.timeoutMs !== undefined && request.timeoutMs > 0) ms = Math.min(ms, request.timeoutMs);
  return ms === Infinity || ms > MAX_TIMER_MS ? 0 : ms;
}
