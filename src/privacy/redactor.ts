import type { LoggerOptions } from 'pino';
import { redactString } from './patterns.js';

/** Credential headers dropped from every log line, whatever the configuration says. */
export const ALWAYS_REMOVED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
];

export interface RedactorOptions {
  /** Extra pino redact paths (e.g. `"*.email"`, `"user.phone"`) whose values are censored. */
  fields: string[];
}

export interface Redactor {
  /** Merge into the pino options: `redact` plus the `hooks.streamWrite` pattern pass. */
  pinoOptions: Pick<LoggerOptions, 'redact' | 'hooks'>;
  /** The pattern pass on its own, for error bodies, traces and stores. */
  redactString(text: string): string;
}

/** A JSON string literal, escapes included. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * Two layers. pino's `redact` removes credential headers and censors the configured fields by
 * path. Then every string literal of the finished JSON line goes through the pattern pass, in
 * `hooks.streamWrite`: it sees the message, serialized requests and errors and child bindings,
 * which a `formatters.log` hook would not (pino adds `msg` and runs serializers after it).
 * Numbers are left alone, so `time` is never mistaken for a card number.
 */
export function createRedactor(options: RedactorOptions): Redactor {
  const paths = [...new Set(options.fields)];
  return {
    pinoOptions: {
      redact: { paths: [...ALWAYS_REMOVED_PATHS, ...paths], censor: censorField },
      hooks: { streamWrite: redactLine },
    },
    redactString,
  };
}

/** pino calls the censor for configured fields and for the credential paths alike. */
function censorField(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1]?.toLowerCase();
  if (last === 'authorization' || last === 'cookie' || last === 'x-api-key' || last === 'set-cookie') return undefined;
  if (value === undefined) return undefined;
  return '[REDACTED]';
}

export function redactLine(line: string): string {
  return line.replace(JSON_STRING, (literal) => redactString(literal));
}
