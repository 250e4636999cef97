import { randomBytes } from 'node:crypto';
import { ServingError } from '../../errors/index.js';
import type { PredictionValue } from '../types.js';
import { BATCH_CODES } from './errors.js';

/**
 * `--default OUTPUT=VALUE` (repeatable): the value lookups answer for keys that were not
 * precomputed, e.g. probability=0.01. VALUE is a number, a JSON list of numbers, or text.
 */
export function parseDefaultValue(items: readonly string[]): PredictionValue {
  const value: PredictionValue = {};
  for (const item of items) {
    const at = item.indexOf('=');
    const output = at > 0 ? item.slice(0, at) : '';
    const text = item.slice(at + 1);
    if (output === '' || text === '' || output in value) {
      throw new ServingError(BATCH_CODES.usage, '--default must be OUTPUT=VALUE, once per output, e.g. probability=0.01');
    }
    const n = Number(text);
    if (Number.isFinite(n)) {
      value[output] = [n];
      continue;
    }
    if (text.trimStart().startsWith('[')) {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch {
        list = undefined;
      }
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new ServingError(BATCH_CODES.usage, '--default list values must be JSON lists of finite numbers, e.g. scores=[0.1,0.9]');
      }
      value[output] = list as number[];
      continue;
    }
    value[output] = [text];
  }
  return value;
}

/** A sortable, unique run id: UTC time to the second and 6 random hex digits. */
export function newRunId(nowMs: number = Date.now()): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.[0-9]+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
