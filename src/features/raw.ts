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

/** `rowLabel` is appended to messages, e.g. " (row 3)". */
export function parseRaw(set: CompiledFeatureSet, raw: unknown, rowLabel = ''): ParsedRaw {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServingError('INVALID_RAW_INPUT', `a raw row must be a JSON object of fields${rowLabel}`);
  }
  const record = raw as Record<string, unknown>;
  const fields = new Map<string, number | string>();
  const times = new Map<string, LocalTime>();
  const locales = new Map<string, Locale>();
  for (const field of set.rawFields) {
    const v = Object.hasOwn(record, field.name) ? record[field.name] : undefined;
    if (isAbsent(v, field)) {
      if (field.required) throw invalid(field.name, 'is required', rowLabel);
      continue;
    }
    const value = typed(v, field, rowLabel);
    if (field.parse === 'time') {
      const t = parseIsoTime(value as string);
      if (!t) throw invalid(field.name, 'must be an ISO-8601 time with an offset, e.g. 2024-05-03T21:15:00+02:00', rowLabel);
      times.set(field.name, t);
    } else if (field.parse === 'locale') {
      const l = parseLocale(value as string);
      if (!l) throw invalid(field.name, 'must be a BCP-47 language tag, e.g. en-US', rowLabel);
      locales.set(field.name, l);
    }
    fields.set(field.name, value);
  }
  const keys = set.entities.map((e) => fields.get(e.keyField) as string | undefined);
  return { row: { fields, times, locales }, keys };
}
