import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { ERROR_TABLE, ServingError, isServingError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { bodyTooLarge } from './body.js';
import { redactString } from '../../privacy/index.js';

/** Codes that mean "try again shortly": the reply carries Retry-After. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['QUEUE_FULL', 'SHUTTING_DOWN', 'MODEL_NOT_READY']);

/**
 * Turns what fastify or node throw into a ServingError. fastify's own messages can quote the
 * request (the URL, the media type), so each known fastify code gets our own message.
 */
export function toWireError(err: unknown, maxBodyBytes: number): ServingError {
  if (isServingError(err)) return err;
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(maxBodyBytes);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ServingError('INVALID_REQUEST', 'Content-Length does not equal the length of the body sent');
    case 'FST_ERR_BAD_URL':
      return new ServingError('INVALID_MODEL_NAME', 'a model name or version in the URL is not valid percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ServingError('INVALID_MODEL_NAME', 'a model name or version in the URL is longer than 128 characters');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServingError('INVALID_REQUEST', 'the Content-Type header cannot be read');
    default:
      break;
  }
  if (err instanceof SyntaxError) {
    return new ServingError('INVALID_JSON', 'the body is not valid JSON');
  }
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Client-side trouble fastify or node detected (an aborted upload, a bad header).
    return new ServingError('INVALID_REQUEST', 'the request could not be read; check its headers and body', { cause: String(code) });
  }
  return new ServingError('INTERNAL', 'internal error');
}

/** Sends `{"error", "code"}` with the status of the code's row in ERROR_TABLE. */
export function sendError(reply: FastifyReply, error: ServingError, extra?: Record<string, unknown>): FastifyReply {
  if (RETRYABLE.has(error.code)) reply.header('retry-after', '1');
  // The guard's rate limiter knows when the principal's bucket has a token again.
  const retryAfterS = error.code === 'RATE_LIMITED' ? error.detail?.retryAfterS : undefined;
  if (typeof retryAfterS === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterS))));
  if (error.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="skein"');
  if (error.code === 'BODY_TOO_LARGE') lingerOnOversizedBody(reply);
  return reply
    .code(ERROR_TABLE[error.code].http)
    .header('content-type', 'application/json; charset=utf-8')
    // Messages may quote caller-chosen names (an input called like an e-mail): redact on the way out.
    .send({ ...extra, error: redactString(error.message), code: error.code });
}

/** How long a connection that got a 413 may keep sending before it is cut. */
const LINGER_MS = 5_000;

/**
 * A 413 can go out while the client is still writing its body. Node closes such a connection
 * with destroySoon(), and closing a socket with unread bytes sends a reset that can destroy the
 * 413 before the client reads it (most clients read only after their upload). So this
 * connection closes gracefully instead: the 413 and a FIN go out, the rest of the upload is read
 * and dropped (never kept), and the socket is destroyed when the client is done or after LINGER_MS.
 */
function lingerOnOversizedBody(reply: FastifyReply): void {
  reply.header('connection', 'close');
  const socket = reply.request.raw.socket as (Socket & { destroySoon?: () => void }) | null;
  if (!socket || socket.destroyed) return;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once('end', done);
    socket.once('error', done);
    socket.on('data', () => undefined);
    socket.resume();
  };
}

/**
 * Logs the failure: server-side faults with their cause (never sent to the caller), caller
 * mistakes at debug with their code only, so logs hold no request content.
 */
export function logError(log: FastifyBaseLogger, raw: unknown, error: ServingError, reqId?: string): void {
  // 503 and 504 are load shedding and deadlines, expected under load; only 500s are faults.
  if (ERROR_TABLE[error.code].http === 500) {
    log.error({ reqId, err: raw, code: error.code, detail: error.detail }, 'request failed');
  } else {
    log.debug({ reqId, code: error.code }, 'request rejected');
  }
}
