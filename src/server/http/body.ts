import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServingError, isServingError } from '../../errors/index.js';
import { parseJsonBody } from './json-body.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

type Encoding = 'identity' | 'gzip' | 'deflate';

/** Reads Content-Encoding; anything but one of identity, gzip or deflate is refused. */
export function encodingOf(header: string | string[] | undefined): Encoding {
  if (header === undefined) return 'identity';
  const value = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  throw new ServingError('UNSUPPORTED_ENCODING', 'Content-Encoding must be identity, gzip or deflate (one encoding, not a list)');
}

export function bodyTooLarge(maxBodyBytes: number): ServingError {
  return new ServingError(
    'BODY_TOO_LARGE',
    `the body is larger than ${maxBodyBytes} bytes (after decompression); send smaller batches or raise --max-body-bytes`,
  );
}

/**
 * Decompresses with an output cap, so a small gzip bomb stops at maxBodyBytes instead of filling
 * memory. The async form runs on libuv's pool and keeps the event loop free for other requests.
 */
export async function decompressBody(encoding: Encoding, body: Buffer, maxBodyBytes: number): Promise<Buffer> {
  if (encoding === 'identity') return body;
  const options = { maxOutputLength: maxBodyBytes };
  try {
    return encoding === 'gzip' ? await gunzip(body, options) : await inflate(body, options);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw bodyTooLarge(maxBodyBytes);
    throw new ServingError('UNSUPPORTED_ENCODING', `the ${encoding} body is corrupt or truncated; compress the whole body once`);
  }
}

/**
 * Replaces fastify's parsers with one that takes any Content-Type (or none, as the binary
 * extension allows) and yields the raw, decompressed bytes; routes decode them.
 * fastify enforces bodyLimit on the compressed bytes (Content-Length first, then while reading).
 */
export function registerBodyParser(app: FastifyInstance, maxBodyBytes: number): void {
  app.removeAllContentTypeParsers();
  // Callback style, not async: an identity body (the common case) passes through in the same
  // tick, without a promise per request.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    let encoding: Encoding;
    try {
      encoding = encodingOf(request.headers['content-encoding']);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    if (encoding === 'identity') {
      done(null, body);
      return;
    }
    decompressBody(encoding, body, maxBodyBytes).then((out) => done(null, out), (err: Error) => done(err, undefined));
  });
  // Refuse an unknown encoding before the body is read, not after buffering it.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    try {
      encodingOf(request.headers['content-encoding']);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, payload);
  });
}

/**
 * Parses an optional JSON object body (repository routes). An absent or empty body is `{}`.
 */
export function parseJsonObject(body: unknown, maxJsonDepth: number): Record<string, unknown> {
  if (body === undefined || (body instanceof Uint8Array && body.length === 0)) return {};
  let value: unknown;
  try {
    value = parseJsonBody(body as Uint8Array, maxJsonDepth, { float32Data: false });
  } catch (err) {
    // The reader's messages speak of infer requests; these routes take a plain JSON object.
    if (!isServingError(err)) throw err;
    if (err.code === 'JSON_TOO_DEEP') throw new ServingError('JSON_TOO_DEEP', `the JSON body nests deeper than ${maxJsonDepth} levels`);
    throw new ServingError('INVALID_JSON', 'the body is not valid JSON; send a JSON object or no body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ServingError('INVALID_REQUEST', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
