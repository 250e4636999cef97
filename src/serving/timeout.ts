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
  const timeoutUs = request.parameters?.timeout;
  const fromParameter = typeof timeoutUs === 'number' && timeoutUs > 0 ? timeoutUs / 1000 : undefined;
  const fromTransport = request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : undefined;
  const asked = [fromParameter, fromTransport, defaultMs > 0 ? defaultMs : undefined].filter((x): x is number => x !== undefined);
  if (asked.length === 0) return 0;
  const ms = Math.min(...asked);
  return ms > MAX_TIMER_MS ? 0 : ms;
}
