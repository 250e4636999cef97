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
