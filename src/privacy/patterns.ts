import { createHash } from 'node:crypto';

/**
 * Values that must never reach a log, trace or error body even when a caller puts them in a
 * field we do log. One alternation, one left-to-right pass: bearer credentials (the whole
 * `Bearer …`, also URL-encoded as in a logged query string), JWTs, e-mail addresses (`@` or
 * `%40`), and card numbers (13–19 digits, single spaces, `%20`, `+` (a space in a form-encoded
 * query string) or dashes between them; only Luhn-valid runs are replaced, so ids and
 * timestamps survive). Every quantifier is bounded, so the pass stays linear on hostile input.
 */
const SENSITIVE = new RegExp(
  [
    String.raw`\bBearer(?:\s|%20|\+){1,8}[A-Za-z0-9._~+/=-]{1,8192}`,
    String.raw`\beyJ[A-Za-z0-9_-]{1,8192}\.eyJ[A-Za-z0-9_-]{1,8192}\.[A-Za-z0-9_-]{0,8192}`,
    String.raw`[A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]{1,64}(?:@|%40)[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}`,
    String.raw`(?<![0-9])[0-9](?:(?:[ +-]|%20)?[0-9]){12,18}(?![0-9])`,
  ].join('|'),
  'gi',
);
const CARD_CANDIDATE = /^[0-9](?:[0-9 +-]|%20)+$/;

/** `[REDACTED len=N sha256=first8hex]`: length and a short fingerprint, to correlate lines. */
export function redactionMark(value: string): string {
  const hash = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
  return `[REDACTED len=${value.length} sha256=${hash}]`;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Replaces every sensitive value in `text` by its redaction mark. */
export function redactString(text: string): string {
  SENSITIVE.lastIndex = 0;
  return text.replace(SENSITIVE, (match) => {
    if (CARD_CANDIDATE.test(match) && !luhnValid(match.replace(/[ +-]|%20/g, ''))) return match;
    return redactionMark(match);
  });
}

/** Longest nesting walked by redactValue; deeper parts are replaced, not walked. */
const MAX_DEPTH = 32;

/**
 * A copy of `value` with every string (keys included) passed through redactString. Walks plain
 * objects, arrays and errors (as {type, message, stack}); other class instances become
 * `[object]` so nothing unexamined gets through. For error bodies, traces and stored records.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: redactString(value.message), stack: redactString(value.stack ?? '') };
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return '[object]';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redactString(k)] = redactValue(v, depth + 1);
  return out;
}
