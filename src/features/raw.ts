import { ServingError } from '../errors/index.js';
import type { CompiledFeatureSet, RawField, RawRow } from './compile.js';
import { asNumber, asString, parseIsoTime, parseLocale, type LocalTime, type Locale } from './values.js';

/**
 * Checks one raw row against the fields its feature set reads, and types them. The rules, the
 * same for a JSON request and a CSV log line:
 *   - absent: undefined, null, NaN or ±Infinity (as numbers, or as text in a number field), and
 *     "" for number, time, locale and id fields (a CSV cell cannot say "absent" otherwise). An
 *     absent field is a missing value, or INVALID_RAW_INPUT when the feature set marks it required.
 *   - number fields take a number or its decimal text; string fields take a string or a number
 *     (as its decimal text); anything else (true, {}, []) is INVALID_RAW_INPUT.
 *   - a string longer than the field's maxLength (UTF-16 code units) is INVALID_RAW_INPUT.
 *   - time fields must be ISO-8601 with an offset, locale fields a BCP-47 tag.
 * Fields the set does not read are ignored. Messages name the field, never its value.
 */
export interface ParsedRaw {
  row: RawRow;
  /** Per entity (by index): its id, or undefined when the key field is absent. */
  keys: (string | undefined)[];
}

function invalid(field: string, what: string, rowLabel: string): ServingError {
  return new ServingError('INVALID_RAW_INPUT', `field "${field}" ${what}${rowLabel}`);
}

/** Text a CSV writer leaves for a missing or non-finite number. */
const NON_FINITE_TEXT = /^\s*([+-]?(nan|inf|infinity))?\s*$/i;

function isAbsent(v: unknown, field: RawField): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'number' && !Number.isFinite(v)) return true;
  if (typeof v !== 'string') return false;
  if (field.type === 'number') return NON_FINITE_TEXT.test(v);
  return v === '' && field.parse !== undefined;
}

function typed(v: unknown, field: RawField, rowLabel: string): number | string {
  if (field.type === 'number') {
    const n = asNumber(v);
    if (n === undefined) throw invalid(field.name, 'must be a number', rowLabel);
    return n;
  }
  const s = asString(v);
  if (s === undefined) throw invalid(field.name, field.parse === 'key' ? 'must be a string or a number (an entity id)' : 'must be a string', rowLabel);
  if (s.length > field.maxLength) throw invalid(field.name, `is longer than ${field.maxLength} characters`, rowLabel);
  return s;
}

/** The times (or locales) of a row without any: shared, never written. */
const NONE_PARSED: readonly undefined[] = Object.freeze([]);

/** `rowLabel` is appended to messages, e.g. " (row 3)". */
export function parseRaw(set: CompiledFeatureSet, raw: unknown, rowLabel = ''): ParsedRaw {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServingError('INVALID_RAW_INPUT', `a raw row must be a JSON object of fields${rowLabel}`);
  }
  const record = raw as Record<string, unknown>;
  const rawFields = set.rawFields;
  const n = rawFields.length;
  const fields = new Array<number | string | undefined>(n).fill(undefined);
  let times: (LocalTime | undefined)[] | undefined;
  let locales: (Locale | undefined)[] | undefined;
  for (let i = 0; i < n; i++) {
    const field = rawFields[i]!;
    const v = Object.hasOwn(record, field.name) ? record[field.name] : undefined;
    if (isAbsent(v, field)) {
      if (field.required) throw invalid(field.name, 'is required', rowLabel);
      continue;
    }
    const value = typed(v, field, rowLabel);
    if (field.parse === 'time') {
      const t = parseIsoTime(value as string);
      if (!t) throw invalid(field.name, 'must be an ISO-8601 time with an offset, e.g. 2024-05-03T21:15:00+02:00', rowLabel);
      (times ??= new Array<LocalTime | undefined>(n).fill(undefined))[i] = t;
    } else if (field.parse === 'locale') {
      const l = parseLocale(value as string);
      if (!l) throw invalid(field.name, 'must be a BCP-47 language tag, e.g. en-US', rowLabel);
      (locales ??= new Array<Locale | undefined>(n).fill(undefined))[i] = l;
    }
    fields[i] = value;
  }
  const entities = set.entities;
  const keys = new Array<string | undefined>(entities.length);
  for (let e = 0; e < entities.length; e++) keys[e] = fields[entities[e]!.keyFieldIndex] as string | undefined;
  return { row: { fields, times: times ?? NONE_PARSED, locales: locales ?? NONE_PARSED }, keys };
}
