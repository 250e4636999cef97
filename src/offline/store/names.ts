import { ServingError } from '../../errors/index.js';

/**
 * Set names and run ids become parts of table rows, Redis keys and URLs, so they follow the model
 * name alphabet (the HTTP layer checks set names with the same rule). Keys are caller data: any
 * printable text, bounded so one key cannot blow up an index entry or a log line.
 */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Longest key accepted, in UTF-16 code units (what JavaScript's length counts). */
export const MAX_KEY_LENGTH = 256;

// C0 and C1 control characters, DEL, and lone surrogates (not valid UTF-8 in any store).
const BAD_KEY_CHAR = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value) && !value.includes('..');
}

export function checkSetName(value: unknown): string {
  if (!isName(value)) {
    throw new ServingError('INVALID_MODEL_NAME', 'the set name must be 1-128 characters from [A-Za-z0-9_.-], start with a letter, digit or _, and not contain ".."');
  }
  return value;
}

export function checkRunId(value: unknown): string {
  if (!isName(value)) {
    throw new ServingError('INVALID_REQUEST', 'the run id must be 1-128 characters from [A-Za-z0-9_.-], start with a letter, digit or _, and not contain ".."');
  }
  return value;
}

/** Throws INVALID_REQUEST unless the key is a non-empty printable string of at most MAX_KEY_LENGTH. */
export function checkKey(value: unknown): string {
  if (typeof value !== 'string') {
    throw new ServingError('INVALID_REQUEST', 'every key must be a string');
  }
  if (value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new ServingError('INVALID_REQUEST', `every key must be 1-${MAX_KEY_LENGTH} characters long`);
  }
  if (BAD_KEY_CHAR.test(value)) {
    throw new ServingError('INVALID_REQUEST', 'a key must hold printable characters only (no control characters or lone surrogates)');
  }
  return value;
}
