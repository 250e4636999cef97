import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketIndex, clip, crossKey, cyclic, fnv1a32, hashBag, hashBucket, log, log1p, mapValue, normalizeText, oneHotIndex,
  overlapShare, ratio, scale, tokenize,
} from './transforms.js';

describe('normalizeText', () => {
  test('lowercases, applies NFKC and collapses whitespace', () => {
    assert.equal(normalizeText('  Merino\tWOOL \n Yarn  '), 'merino wool yarn');
    assert.equal(normalizeText('ﬁne Ｙａｒｎ'), 'fine yarn');
  });
  test('keeps é, ß, emoji and CJK; composes a decomposed é', () => {
    assert.equal(normalizeText('Café ẞ Straße 🧶 毛线'), 'café ß straße 🧶 毛线');
    assert.equal(normalizeText('Cafe\u0301'), 'café');
  });
  test('strips punctuation only when asked, leaving symbols and emoji', () => {
    assert.equal(normalizeText('wool, yarn! (red)'), 'wool, yarn! (red)');
    assert.equal(normalizeText('wool, yarn! (red) $5 🧶 «x»', true), 'wool yarn red $5 🧶 x');
  });
  test('empty and all-space text normalize to the empty string', () => {
    assert.equal(normalizeText(''), '');
    assert.equal(normalizeText(' \t\n '), '');
    assert.equal(normalizeText('!!!', true), '');
  });
});

describe('tokenize', () => {
  test('splits on whitespace and drops empty tokens', () => {
    assert.deepEqual(tokenize(' wool  yarn ', 10), ['wool', 'yarn']);
    assert.deepEqual(tokenize('', 10), []);
  });
  test('keeps the first maxTokens tokens', () => {
    assert.deepEqual(tokenize('a b c d', 2), ['a', 'b']);
  });
  test('CJK text without spaces is one token; emoji are tokens of their own when spaced', () => {
    assert.deepEqual(tokenize('毛线 针 🧶', 10), ['毛线', '针', '🧶']);
    assert.deepEqual(tokenize('羊毛毛线', 10), ['羊毛毛线']);
  });
});

describe('hashing', () => {
  test('fnv1a32 matches the published FNV-1a test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });
  test('fnv1a32 hashes UTF-8 bytes, so é and its two-byte form differ from e', () => {
    assert.equal(fnv1a32('é'), fnv1a32('\u00e9'));
    assert.notEqual(fnv1a32('é'), fnv1a32('e'));
    assert.equal(fnv1a32('🧶'), fnv1a32('\u{1f9f6}'));
  });
  test('hashBucket is fnv1a32 of salt + text modulo buckets', () => {
    assert.equal(hashBucket('a', 1000), 0xe40c292c % 1000);
    assert.equal(hashBucket('a', 1000, 's:'), fnv1a32('s:a') % 1000);
    for (const w of ['', 'wool', 'ß', '毛线']) {
      const b = hashBucket(w, 7);
      assert.ok(Number.isInteger(b) && b >= 0 && b < 7);
    }
  });
  test('hashBag counts tokens per bucket; no tokens, no buckets', () => {
    const bag = hashBag(['wool', 'wool', 'yarn'], 1 << 16);
    assert.equal(bag.get(hashBucket('wool', 1 << 16)), 2);
    assert.equal([...bag.values()].reduce((a, b) => a + b, 0), 3);
    assert.equal(hashBag([], 8).size, 0);
  });
  test('crossKey joins both values as text with U+001F', () => {
    assert.equal(crossKey('US', 3), 'US\u001f3');
    assert.notEqual(crossKey('a b', 'c'), crossKey('a', 'b c'));
  });
});

describe('bucketIndex', () => {
  const b = [0, 10, 100];
  test('counts the boundaries at or below x', () => {
    assert.equal(bucketIndex(-5, b), 0);
    assert.equal(bucketIndex(0, b), 1);
    assert.equal(bucketIndex(9.99, b), 1);
    assert.equal(bucketIndex(10, b), 2);
    assert.equal(bucketIndex(100, b), 3);
    assert.equal(bucketIndex(1e9, b), 3);
  });
});

describe('oneHotIndex', () => {
  const vocab = new Map([['red', 0], ['blue', 1]]);
  test('finds a known value exactly (case-sensitive)', () => {
    assert.equal(oneHotIndex('blue', vocab, 'zeros'), 1);
    assert.equal(oneHotIndex('Blue', vocab, 'zeros'), -1);
  });
  test('an unknown value goes nowhere with zeros, to the extra last column with slot', () => {
    assert.equal(oneHotIndex('green', vocab, 'zeros'), -1);
    assert.equal(oneHotIndex('green', vocab, 'slot'), 2);
    assert.equal(oneHotIndex('', vocab, 'slot'), 2);
  });
});

describe('numeric transforms', () => {
  test('scale is x·mul + add and turns overflow into missing', () => {
    assert.equal(scale(4, 0.25, 1), 2);
    assert.equal(scale(1e308, 10, 0), null);
  });
  test('clip bounds both ends', () => {
    assert.equal(clip(5, -3, 3), 3);
    assert.equal(clip(-5, -3, 3), -3);
    assert.equal(clip(1, -Infinity, 3), 1);
  });
  test('log1p and log are missing outside their domain', () => {
    assert.equal(log1p(0), 0);
    assert.equal(log1p(-1), null);
    assert.equal(log(Math.E), 1);
    assert.equal(log(0), null);
    assert.equal(log(-2), null);
  });
  test('cyclic puts hour 23 next to hour 0', () => {
    assert.ok(Math.abs(cyclic(0, 24, 'sin')) < 1e-12);
    assert.equal(cyclic(6, 24, 'sin'), 1);
    assert.equal(cyclic(0, 24, 'cos'), 1);
    const d = Math.hypot(cyclic(23, 24, 'sin') - cyclic(0, 24, 'sin'), cyclic(23, 24, 'cos') - cyclic(0, 24, 'cos'));
    assert.ok(d < 0.3);
  });
  test('ratio is missing when dividing by zero', () => {
    assert.equal(ratio(3, 4), 0.75);
    assert.equal(ratio(3, 0), null);
    assert.equal(ratio(0, 0), null);
  });
});

describe('pair transforms', () => {
  test('overlapShare is the share of the first list found in the second; no tokens gives 0', () => {
    assert.equal(overlapShare(['red', 'wool', 'yarn', 'cheap'], ['wool', 'yarn']), 0.5);
    assert.equal(overlapShare(['wool', 'wool'], ['wool']), 1);
    assert.equal(overlapShare([], ['wool']), 0);
    assert.equal(overlapShare(['wool'], []), 0);
  });
  test('mapValue reads the key, or absentValue, or missing', () => {
    const m = { 'yarn/wool': 3 };
    assert.equal(mapValue(m, 'yarn/wool', undefined), 3);
    assert.equal(mapValue(m, 'yarn/cotton', 0), 0);
    assert.equal(mapValue(m, 'yarn/cotton', undefined), null);
    assert.equal(mapValue(m, 'toString', undefined), null);
  });
});

describe('normalizeText on ASCII (a path without regexes)', () => {
  /** The definition, as written in the docs: NFKC, lowercase, punctuation to spaces, whitespace collapsed and trimmed. */
  const reference = (text: string, strip: boolean): string => {
    let s = text.normalize('NFKC').toLowerCase();
    if (strip) s = s.replace(/\p{P}/gu, ' ');
    return s.replace(/\s+/gu, ' ').trim();
  };
  const same = (text: string): void => {
    for (const strip of [false, true]) assert.equal(normalizeText(text, strip), reference(text, strip), `${JSON.stringify(text)} strip=${strip}`);
  };

  test('gives the definition on every ASCII character and every pair of them', () => {
    for (let a = 0; a < 128; a++) {
      same(String.fromCharCode(a));
      for (let b = 0; b < 128; b++) same(String.fromCharCode(a, b));
    }
  });

  test('gives the definition on mixed text, ASCII or not', () => {
    const alphabet = 'aZq  \t\n\r\v\f.,!&-_$+<=>^`|~"#%\'()*/:;?@[\\]{}09é\u00a0\u2028ﬁＡ«»';
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let k = next(14); k > 0; k--) s += alphabet[next(alphabet.length)];
      same(s);
    }
    for (const s of ['cable needles', 'BABY YARN', 'Skein & Co acrylic yarn', ' a  b ', 'already normal', '']) same(s);
  });

  test('returns text that is normal already as it is', () => {
    const text = ['cable', 'needles'].join(' ');
    assert.equal(normalizeText(text, true), text);
  });
});

describe('overlapShare on short and long lists', () => {
  test('a scan of a short list and a set of a long one count the same', () => {
    const other = Array.from({ length: 300 }, (_, i) => `t${i}`);
    for (const n of [1, 2, 3, 10, 50, 300]) {
      const list = other.slice(0, n);
      const tokens = ['t0', 't1', 'x', 't0', `t${n - 1}`, `t${n}`];
      const expected = tokens.filter((t) => list.includes(t)).length / tokens.length;
      assert.equal(overlapShare(tokens, list), expected, `list of ${n}`);
    }
  });
});

describe('tokenize on ASCII (a path without regexes)', () => {
  const reference = (text: string, max: number): string[] => text.split(/\s+/u).filter((t) => t !== '').slice(0, max);

  test('gives the regex split on every pair of characters and on mixed text, whatever maxTokens', () => {
    const chars = ['a', 'B', ' ', '\t', '\n', '\v', '\f', '\r', '.', 'é', '\u00a0', '\u2028', '\u3000', '毛'];
    for (const a of chars) for (const b of chars) for (const c of chars) {
      for (const max of [0, 1, 2, 32]) assert.deepEqual(tokenize(a + b + c, max), reference(a + b + c, max), JSON.stringify(a + b + c));
    }
    for (const text of ['merino wool yarn', '  a  b  ', 'one\u00a0two three', 'a b c d e\u00a0f', '']) {
      for (const max of [0, 1, 3, 32]) assert.deepEqual(tokenize(text, max), reference(text, max), `${JSON.stringify(text)} max ${max}`);
    }
  });
});
