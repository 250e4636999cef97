import { z } from 'zod';
import { ServingError } from '../../errors/index.js';
import { readJsonLines } from '../../util/index.js';
import type { PredictionValue } from '../types.js';
import type { GoldenRow, RangeRule } from './types.js';

/** Parses `--range OUTPUT:MIN:MAX` (e.g. probability:0:1). */
export function parseRange(text: string): RangeRule {
  const at = text.lastIndexOf(':', text.lastIndexOf(':') - 1);
  const output = at > 0 ? text.slice(0, at) : '';
  const [minText, maxText] = text.slice(at + 1).split(':');
  const min = Number(minText);
  const max = Number(maxText);
  if (output === '' || minText === '' || maxText === '' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new ServingError('INVALID_CONFIG', '--range must be OUTPUT:MIN:MAX with MIN <= MAX, e.g. probability:0:1');
  }
  return { output, min, max };
}

/** Reads a JSONL file line by line; `onLine` gets each parsed line (false stops); bad JSON names the line. */
async function eachJsonLine(path: string, flag: string, onLine: (v: unknown, line: number) => boolean | void): Promise<void> {
  const errors = {
    unreadable: () => new ServingError('INVALID_CONFIG', `${flag} cannot be read; check the path`),
    invalid: (line: number) => new ServingError('INVALID_CONFIG', `${flag} line ${line} is not valid JSON`),
  };
  for await (const { line, value } of readJsonLines(path, errors)) {
    if (onLine(value, line) === false) break;
  }
}

/** Golden lines beyond this are a data set, not a set of golden examples. */
export const MAX_GOLDEN_ROWS = 100_000;

const GoldenSchema = z.strictObject({
  key: z.string().min(1),
  output: z.string().min(1),
  value: z.union([z.number(), z.array(z.number()).min(1)]),
  tolerance: z.number().min(0).default(1e-6),
});

/** `--golden FILE`: JSONL of {key, output, value, tolerance?} (tolerance defaults to 1e-6). */
export async function readGolden(path: string): Promise<GoldenRow[]> {
  const rows: GoldenRow[] = [];
  await eachJsonLine(path, '--golden', (v, line) => {
    const parsed = GoldenSchema.safeParse(v);
    if (!parsed.success) throw new ServingError('INVALID_CONFIG', `--golden line ${line} must be {"key", "output", "value": number | number[], "tolerance"?}`);
    if (rows.length >= MAX_GOLDEN_ROWS) throw new ServingError('INVALID_CONFIG', `--golden holds more than ${MAX_GOLDEN_ROWS} lines`);
    rows.push(parsed.data);
  });
  return rows;
}

/**
 * `--baseline FILE`: JSONL of reference predictions, each line either a row `{key, value: {…}}`
 * (as a run stores it) or the value itself `{"probability": 0.12}`. Values are numbers or lists.
 */
export async function readBaseline(path: string, onValue: (value: PredictionValue) => boolean): Promise<void> {
  await eachJsonLine(path, '--baseline', (v, line) => {
    const o = v as Record<string, unknown> | null;
    const inner = o && typeof o === 'object' && typeof o.value === 'object' && o.value !== null ? o.value : o;
    if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
      throw new ServingError('INVALID_CONFIG', `--baseline line ${line} must be a JSON object of output → number or list`);
    }
    const value: PredictionValue = {};
    for (const [k, x] of Object.entries(inner)) {
      if (typeof x === 'number') value[k] = [x];
      else if (Array.isArray(x) && x.every((e) => typeof e === 'number')) value[k] = x as number[];
    }
    return onValue(value);
  });
}
