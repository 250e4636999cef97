import type { EntityAttributeType } from './spec.js';

/**
 * How raw values become typed values, in one place for the assembler and the exporter: a CSV log
 * carries every value as text, a JSON request carries numbers, and both must give the same
 * feature. Nothing here throws; a value that does not fit is `undefined` (the caller decides
 * whether that is an error or a missing value).
 */

/** Items kept from a string-list attribute; entries of a map attribute. */
export const VALUE_LIMITS = { maxListItems: 4096, maxMapEntries: 4096 } as const;

/** A finite number, or decimal text of one ("12.5", " 3 "); NaN, ±Infinity and "" are not numbers. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return asNumber(Number(v));
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
    return asNumber(Number(t));
  }
  return undefined;
}

/** A string, or a finite number's decimal text (ids sent as JSON numbers). */
export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  return undefined;
}

function parsedJson(v: string, open: string): unknown {
  if (!v.trimStart().startsWith(open)) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** A list of strings, or JSON text of one (CSV cells); non-string items are dropped. */
export function asStringList(v: unknown): string[] | undefined {
  const list = typeof v === 'string' ? parsedJson(v, '[') : v;
  if (!Array.isArray(list)) return undefined;
  const out: string[] = [];
  for (const item of list) {
    if (out.length === VALUE_LIMITS.maxListItems) break;
    const s = asString(item);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** An object of string → number, or JSON text of one; entries that are not numbers are dropped. */
export function asNumberMap(v: unknown): Record<string, number> | undefined {
  const obj = typeof v === 'string' ? parsedJson(v, '{') : v;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  let n = 0;
  for (const [k, raw] of Object.entries(obj)) {
    if (n === VALUE_LIMITS.maxMapEntries) break;
    const x = asNumber(raw);
    if (x === undefined) continue;
    out[k] = x;
    n++;
  }
  return out;
}

export type AttributeValue = number | string | string[] | Record<string, number>;

/** An entity attribute as its declared type, or undefined (missing). */
export function asAttribute(v: unknown, type: EntityAttributeType): AttributeValue | undefined {
  switch (type) {
    case 'number': return asNumber(v);
    case 'string': return asString(v);
    case 'strings': return asStringList(v);
    case 'map': return asNumberMap(v);
  }
}

export interface LocalTime {
  /** Milliseconds since the epoch (the instant, offset applied). */
  epochMs: number;
  /** The hour as written, 0–23: local time in the offset the text carries. */
  hour: number;
  /** Of the local date: 0 = Sunday … 6 = Saturday. */
  dayOfWeek: number;
}

const MS_PER_DAY = 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** As Date.UTC counts them: years 0–99 are 1900–1999 (so year 0 is 1900, not a leap year). */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  const y = year <= 99 ? 1900 + year : year;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** The number written by `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DASH = 45;
const COLON = 58;
const DOT = 46;
const PLUS = 43;

/**
 * ISO-8601 date and time with an offset (`Z` or ±hh:mm): `2024-05-03T21:15:00+02:00`. Local
 * parts are read from the text, so no time-zone database is involved; the same text gives the
 * same parts everywhere. Anything else (no offset, month 13, 24:00) is undefined.
 *
 * The grammar, read character by character (no regex match, no Date object: this runs for every
 * raw row), is exactly
 *   /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/
 */
export function parseIsoTime(text: string): LocalTime | undefined {
  const n = text.length;
  if (n < 17 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(13) !== COLON) return undefined;
  const t = text.charCodeAt(10);
  if (t !== 84 && t !== 116 && t !== 32) return undefined; // T, t or a space
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return undefined;
  let at = 16;
  let second = 0;
  let fractionMs = 0;
  if (text.charCodeAt(at) === COLON) {
    second = digitsAt(text, at + 1, 2);
    if (second < 0) return undefined;
    at += 3;
    if (text.charCodeAt(at) === DOT) {
      let end = at + 1;
      while (end - at <= 9 && digitsAt(text, end, 1) >= 0) end++;
      if (end === at + 1) return undefined;
      fractionMs = Math.floor(Number(text.slice(at, end)) * 1000);
      at = end;
    }
  }
  let offsetMin = 0;
  const sign = text.charCodeAt(at);
  if (sign === 90 || sign === 122) { // Z or z
    if (at + 1 !== n) return undefined;
  } else if (sign === PLUS || sign === DASH) {
    const oh = digitsAt(text, at + 1, 2);
    const mAt = text.charCodeAt(at + 3) === COLON ? at + 4 : at + 3;
    const om = digitsAt(text, mAt, 2);
    if (oh < 0 || om < 0 || mAt + 2 !== n || oh > 23 || om > 59) return undefined;
    offsetMin = (sign === DASH ? -1 : 1) * (oh * 60 + om);
  } else return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const localMs = Date.UTC(year, month - 1, day, hour, minute, second, fractionMs);
  // The local date's weekday, as Date#getUTCDay reckons it: 1970-01-01 was a Thursday (4).
  const days = Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
  return { epochMs: localMs - offsetMin * 60_000, hour, dayOfWeek: (((days + 4) % 7) + 7) % 7 };
}

/** An instant: epoch milliseconds (a number or its text), ISO-8601 text with an offset, or a Date. */
export function parseInstantMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  const n = asNumber(v);
  if (n !== undefined) return n;
  return typeof v === 'string' ? parseIsoTime(v)?.epochMs : undefined;
}

export interface Locale {
  /** ISO 639 language subtag, lowercase (`en`). */
  language: string;
  /** ISO 3166 region subtag, uppercase (`US`), or a UN M.49 area (`419`); null when absent. */
  country: string | null;
}

const LOCALE = /^([A-Za-z]{2,3}|[A-Za-z]{5,8})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|\d{3}))?((?:[-_][A-Za-z0-9]{1,8})*)$/;

/**
 * A BCP-47 tag's language and region (`_` is accepted for `-`, as POSIX writes `en_US`): `de-AT`
 * → de/AT, `zh-Hant-TW` → zh/TW, `fr` → fr/null. Not a tag at all → undefined.
 */
export function parseLocale(text: string): Locale | undefined {
  const m = LOCALE.exec(text);
  if (!m) return undefined;
  return { language: m[1]!.toLowerCase(), country: m[3] === undefined ? null : m[3].toUpperCase() };
}
