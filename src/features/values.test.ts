import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asAttribute, asNumber, asString, parseInstantMs, parseIsoTime, parseLocale } from './values.js';

describe('raw value coercion', () => {
  test('numbers come as numbers or decimal text; NaN, Infinity and junk are not numbers', () => {
    assert.equal(asNumber(12.5), 12.5);
    assert.equal(asNumber(' 12.5 '), 12.5);
    assert.equal(asNumber('-1e3'), -1000);
    assert.equal(asNumber(NaN), undefined);
    assert.equal(asNumber(Infinity), undefined);
    assert.equal(asNumber('Infinity'), undefined);
    assert.equal(asNumber('0x10'), undefined);
    assert.equal(asNumber(''), undefined);
    assert.equal(asNumber(true), undefined);
  });
  test('strings take numbers as their decimal text', () => {
    assert.equal(asString(17), '17');
    assert.equal(asString(NaN), undefined);
    assert.equal(asString({}), undefined);
  });
  test('string lists and maps may arrive as JSON text (a CSV cell)', () => {
    assert.deepEqual(asAttribute('["a","b"]', 'strings'), ['a', 'b']);
    assert.deepEqual(asAttribute(['a', 1, null], 'strings'), ['a', '1']);
    assert.equal(asAttribute('not json', 'strings'), undefined);
    assert.deepEqual({ ...(asAttribute('{"yarn/wool":2,"x":"3","bad":"no"}', 'map') as object) }, { 'yarn/wool': 2, x: 3 });
    assert.equal(asAttribute([1], 'map'), undefined);
  });
});

describe('parseIsoTime', () => {
  test('reads local hour and weekday as written, and the instant with the offset applied', () => {
    const t = parseIsoTime('2024-05-04T23:30:00+02:00')!;
    assert.equal(t.hour, 23);
    assert.equal(t.dayOfWeek, 6);
    assert.equal(t.epochMs, Date.UTC(2024, 4, 4, 21, 30));
  });
  test('the same instant in two offsets has different local parts', () => {
    const a = parseIsoTime('2024-05-05T01:00:00+02:00')!;
    const b = parseIsoTime('2024-05-04T23:00:00Z')!;
    assert.equal(a.epochMs, b.epochMs);
    assert.deepEqual([a.hour, a.dayOfWeek, b.hour, b.dayOfWeek], [1, 0, 23, 6]);
  });
  test('accepts fractions, a space for T, and offsets without a colon', () => {
    assert.equal(parseIsoTime('2024-02-29 08:00:00.250-0530')!.epochMs, Date.UTC(2024, 1, 29, 13, 30, 0, 250));
  });
  test('refuses no offset, impossible dates and times', () => {
    for (const bad of ['2024-05-04T23:30:00', '2023-02-29T00:00Z', '2024-13-01T00:00Z', '2024-05-04T24:00Z', '2024-05-04', 'yesterday', '']) {
      assert.equal(parseIsoTime(bad), undefined, bad);
    }
  });
  test('instants are epoch milliseconds, their text, or ISO-8601 with an offset', () => {
    assert.equal(parseInstantMs(1000), 1000);
    assert.equal(parseInstantMs('1000'), 1000);
    assert.equal(parseInstantMs('1970-01-01T00:00:01Z'), 1000);
    assert.equal(parseInstantMs('soon'), undefined);
  });
});

describe('parseLocale', () => {
  test('reads language and country from BCP-47 tags and POSIX-style ones', () => {
    assert.deepEqual(parseLocale('en-US'), { language: 'en', country: 'US' });
    assert.deepEqual(parseLocale('de_at'), { language: 'de', country: 'AT' });
    assert.deepEqual(parseLocale('zh-Hant-TW'), { language: 'zh', country: 'TW' });
    assert.deepEqual(parseLocale('es-419'), { language: 'es', country: '419' });
    assert.deepEqual(parseLocale('fr'), { language: 'fr', country: null });
  });
  test('refuses what is not a tag', () => {
    for (const bad of ['', 'e', 'en US', 'en-US.UTF-8', '12-34', 'abcdefghi', 'en--US']) assert.equal(parseLocale(bad), undefined, bad);
  });
});

describe('parseIsoTime against Date', () => {
  /** What the Date object says: days in month (years 0-99 as Date.UTC reads them), weekday, instant. */
  const byDate = (y: number, mo: number, d: number, h: number, offsetMin: number): { epochMs: number; hour: number; dayOfWeek: number } | undefined => {
    if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
    return { epochMs: Date.UTC(y, mo - 1, d, h, 30) - offsetMin * 60_000, hour: h, dayOfWeek: new Date(Date.UTC(y, mo - 1, d)).getUTCDay() };
  };
  const pad = (x: number, w: number): string => String(x).padStart(w, '0');

  test('month lengths, leap years and weekdays agree over the calendar, years 0000-0099 included', () => {
    const years = [0, 1, 4, 99, 100, 400, 1582, 1899, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 2400, 9999];
    for (let y = 1990; y < 2040; y++) years.push(y);
    for (const y of years) {
      for (let mo = 0; mo <= 13; mo++) {
        for (const d of [0, 1, 15, 28, 29, 30, 31, 32]) {
          const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T07:30:00+01:30`;
          assert.deepEqual(parseIsoTime(text), byDate(y, mo, d, 7, 90), text);
        }
      }
    }
  });
});

describe('parseIsoTime against its grammar as a regex', () => {
  /** The implementation parseIsoTime replaced: the grammar as a regex, and the Date object. */
  const GRAMMAR = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
  const reference = (text: string): { epochMs: number; hour: number; dayOfWeek: number } | undefined => {
    const m = GRAMMAR.exec(text);
    if (!m) return undefined;
    const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
    const second = m[6] === undefined ? 0 : Number(m[6]);
    const fractionMs = m[7] === undefined ? 0 : Math.floor(Number(m[7]) * 1000);
    if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    let offsetMin = 0;
    if (m[8] === undefined) {
      const oh = Number(m[10]);
      const om = Number(m[11]);
      if (oh > 23 || om > 59) return undefined;
      offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    }
    const localMs = Date.UTC(year, month - 1, day, hour, minute, second, fractionMs);
    return { epochMs: localMs - offsetMin * 60_000, hour, dayOfWeek: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
  };

  test('agrees on well-formed times, every way of writing the seconds, fraction and offset', () => {
    const seconds = ['', ':00', ':59', ':60', ':5', ':07.5', ':07.123456789', ':07.1234567890', ':07.', ':07.12a'];
    const offsets = ['Z', 'z', '+02:00', '-0530', '+23:59', '+24:00', '-00:60', '+2:00', '+02:0', '+02:', '', 'UTC', 'Z ', '+02:00\n'];
    for (const date of ['2024-02-29', '2023-02-29', '0000-02-29', '1900-02-29', '2000-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '9999-12-31']) {
      for (const sep of ['T', 't', ' ', '_']) {
        for (const time of ['00:00', '23:59', '24:00', '12:60', '1:00', '12:3']) {
          for (const s of seconds) {
            for (const o of offsets) {
              const text = `${date}${sep}${time}${s}${o}`;
              assert.deepEqual(parseIsoTime(text), reference(text), text);
            }
          }
        }
      }
    }
  });

  test('agrees on mangled text', () => {
    const alphabet = '0123456789-:.TtZz+ \nx';
    let seed = 11;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const base = '2024-05-04T23:30:00.250+02:00';
    for (let i = 0; i < 50_000; i++) {
      const chars = [...base];
      for (let k = next(4); k >= 0; k--) {
        const at = next(chars.length + 1);
        const op = next(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[next(alphabet.length)]!);
        else chars[at] = alphabet[next(alphabet.length)]!;
      }
      const text = chars.join('');
      assert.deepEqual(parseIsoTime(text), reference(text), JSON.stringify(text));
    }
  });
});
