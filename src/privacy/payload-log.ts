import type { Logger } from 'pino';
import { ServingError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { redactString } from './patterns.js';
import { checkPayloadLogOptions, shouldLogPayload, type PayloadLogOptions } from './sampling.js';

/** Values shown per tensor when the config does not say. */
export const DEFAULT_MAX_PREVIEW_VALUES = 8;
/** Upper bound of maxPreviewValues: a payload line stays a few kilobytes. */
export const MAX_PREVIEW_VALUES_LIMIT = 64;
/** Longest BYTES element, request id or name kept in a line; longer ones are cut after redaction. */
export const MAX_PREVIEW_CHARS = 128;

export interface PayloadLogConfig extends PayloadLogOptions {
  /** Values shown per input and output tensor, 0..64 (default 8); the rest is counted, not shown. */
  maxPreviewValues?: number;
}

/** The parts of an InferRequest a payload line shows (structural, so privacy needs no serving import). */
export interface PayloadRequest {
  model: string;
  id?: string;
  inputs: readonly Tensor[];
}

export interface PayloadResponse {
  model_version: string;
  outputs: readonly Tensor[];
}

/**
 * Writes one `payload` line for a sampled request. Contract: maybeLog never throws and never
 * blocks (pino buffers), so the service may call it on the success path of every request; when
 * sampling says no, it costs one random number.
 */
export interface PayloadLogger {
  maybeLog(request: PayloadRequest, response: PayloadResponse): void;
}

export interface PayloadLoggerOptions {
  logger: Logger;
  options: PayloadLogConfig;
  /** [0, 1) like Math.random; injected so tests are deterministic. */
  rng?: () => number;
}

/** One tensor as a payload line shows it. */
export interface TensorPreview {
  name: string;
  datatype: string;
  shape: number[];
  /** How many values the tensor holds; preview holds at most maxPreviewValues of them. */
  count: number;
  preview: (number | string | null)[];
}

export function createPayloadLogger(o: PayloadLoggerOptions): PayloadLogger {
  const options = checkPayloadLogOptions(o.options);
  const maxValues = o.options.maxPreviewValues ?? DEFAULT_MAX_PREVIEW_VALUES;
  if (!Number.isInteger(maxValues) || maxValues < 0 || maxValues > MAX_PREVIEW_VALUES_LIMIT) {
    throw new ServingError('INVALID_CONFIG', `payloadLog.maxPreviewValues must be an integer between 0 and ${MAX_PREVIEW_VALUES_LIMIT}`);
  }
  const rng = o.rng ?? Math.random;
  const logger = o.logger;
  return {
    maybeLog(request, response) {
      if (!options.enabled || !logger.isLevelEnabled('info')) return;
      try {
        if (!shouldLogPayload(request.model, options, rng)) return;
        logger.info({
          event: 'payload',
          model: request.model,
          version: response.model_version,
          ...(request.id !== undefined ? { requestId: bounded(request.id) } : {}),
          inputs: request.inputs.map((t) => previewOf(t, maxValues)),
          outputs: response.outputs.map((t) => previewOf(t, maxValues)),
        }, 'payload');
      } catch (err) {
        // A payload line is a diagnostic: failing to write one must never fail the request.
        logger.warn({ model: request.model, err: err instanceof Error ? err.name : 'unknown' }, 'payload log line dropped');
      }
    },
  };
}

/**
 * Redacts before cutting: cutting first could split an e-mail or card number so that the line
 * pass no longer recognises it, and the visible half would leak.
 */
function bounded(text: string): string {
  const safe = redactString(text);
  return safe.length > MAX_PREVIEW_CHARS ? `${safe.slice(0, MAX_PREVIEW_CHARS)}…` : safe;
}

export function previewOf(t: Tensor, maxValues: number): TensorPreview {
  const count = t.data.length;
  const preview: (number | string | null)[] = [];
  for (let i = 0; i < Math.min(count, maxValues); i++) {
    const v = t.data[i];
    // 64-bit integers as strings: JSON numbers lose precision past 2^53 (and a card number held
    // in an INT64 tensor is then caught by the line pass, which leaves numbers alone).
    if (typeof v === 'bigint') preview.push(v.toString());
    else if (typeof v === 'string') preview.push(bounded(v));
    else if (typeof v === 'number') preview.push(Number.isFinite(v) ? v : String(v));
    else preview.push(null);
  }
  return { name: bounded(t.name), datatype: t.datatype, shape: [...t.shape], count, preview };
}
