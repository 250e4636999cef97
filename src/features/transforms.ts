/**
 * The transforms, as pure functions of values. Every one is deterministic and uses no locale,
 * time zone or platform facility that could differ between the exporter and the server (or a
 * browser): lowercasing is String.prototype.toLowerCase (locale-independent), normalization is
 * NFKC, hashing is FNV-1a 32 over UTF-8 bytes. `null` means missing: a transform given a missing
 * value returns missing, and any number that comes out NaN or ±Infinity becomes missing.
 */

/** Missing becomes missing; a non-finite result becomes missing. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * NFKC (so "ﬁ" is "fi" and full-width "Ａ" is "A"), lowercase, optionally every Unicode
 * punctuation character (\p{P}) replaced by a space, then runs of whitespace collapsed to one
 * space and the ends trimmed. Symbols and emoji (\p{S}) stay. "ß" stays "ß" (lowercase already).
 */
export function normalizeText(text: string, stripPunctuation = false): string {
  const ascii = normalizeAscii(text, stripPunctuation);
  if (ascii !== undefined) return ascii;
  let s = text.normalize('NFKC').toLowerCase();
  if (stripPunctuation) s = s.replace(/\p{P}/gu, ' ');
  return s.replace(/\s+/gu, ' ').trim();
}

const ASCII_WORD = 0;
const ASCII_SPACE = 1;
const ASCII_PUNCTUATION = 2;
/** The class of each ASCII code, taken from the very regexes normalizeText uses, so both paths agree. */
const ASCII_CLASS = Uint8Array.from({ length: 128 }, (_, c) => {
  const ch = String.fromCharCode(c);
  if (/\s/u.test(ch)) return ASCII_SPACE;
  return /\p{P}/u.test(ch) ? ASCII_PUNCTUATION : ASCII_WORD;
});

/**
 * normalizeText of ASCII text without regexes, or undefined for any other text. On ASCII, NFKC
 * changes nothing and lowercasing maps A-Z only, so the result is the words (runs of characters
 * that are neither space nor, when stripping, punctuation) lowercased and joined by one space.
 * Text that is so already (most queries) is returned as is.
 */
function normalizeAscii(text: string, stripPunctuation: boolean): string | undefined {
  const n = text.length;
  let unchanged = true;
  let afterSeparator = true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) return undefined;
    const cls = ASCII_CLASS[c]!;
    if (cls === ASCII_SPACE || (stripPunctuation && cls === ASCII_PUNCTUATION)) {
      // Only a single plain space between two words stays as it is.
      if (c !== 32 || afterSeparator) unchanged = false;
      afterSeparator = true;
    } else {
      if (c >= 65 && c <= 90) unchanged = false;
      afterSeparator = false;
    }
  }
  if (unchanged && !(afterSeparator && n > 0)) return text;
  let out = '';
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const cls = i === n ? ASCII_SPACE : ASCII_CLASS[text.charCodeAt(i)]!;
    if (cls === ASCII_SPACE || (stripPunctuation && cls === ASCII_PUNCTUATION)) {
      if (start >= 0) out += out === '' ? text.slice(start, i) : ` ${text.slice(start, i)}`;
      start = -1;
    } else if (start < 0) start = i;
  }
  return out.toLowerCase();
}

/**
 * Splits on Unicode whitespace and keeps the first `maxTokens` tokens. Text without spaces
 * (CJK, for example) is one token. Empty text gives no tokens.
 */
export function tokenize(text: string, maxTokens: number): string[] {
  const ascii = tokenizeAscii(text, maxTokens);
  if (ascii !== undefined) return ascii;
  const tokens: string[] = [];
  for (const t of text.split(/\s+/u)) {
    if (t === '') continue;
    if (tokens.length === maxTokens) break;
    tokens.push(t);
  }
  return tokens;
}

/**
 * tokenize of ASCII text without a regex, or undefined once a character outside ASCII comes
 * before the last token needed (Unicode whitespace is then the regex's to find). On ASCII, \s
 * is exactly ASCII_CLASS's spaces.
 */
function tokenizeAscii(text: string, maxTokens: number): string[] | undefined {
  const tokens: string[] = [];
  const n = text.length;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 32 : text.charCodeAt(i);
    if (c >= 128) return undefined;
    if (ASCII_CLASS[c] !== ASCII_SPACE) continue;
    if (i > start) {
      if (tokens.length === maxTokens) return tokens;
      tokens.push(text.slice(start, i));
    }
    start = i + 1;
  }
  return tokens;
}

const encoder = new TextEncoder();
const FNV_OFFSET_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`; an unsigned integer. fnv1a32('a') = 0xe40c292c. */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET_32;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME_32);
  }
  return h >>> 0;
}

/** The bucket of `text` in [0, buckets): fnv1a32(salt + text) mod buckets. */
export function hashBucket(text: string, buckets: number, salt = ''): number {
  return fnv1a32(salt + text) % buckets;
}

/** A bag of tokens: per bucket, how many tokens hash into it (sparse: bucket → count). */
export function hashBag(tokens: readonly string[], buckets: number, salt = ''): Map<number, number> {
  const bag = new Map<number, number>();
  for (const t of tokens) {
    const b = hashBucket(t, buckets, salt);
    bag.set(b, (bag.get(b) ?? 0) + 1);
  }
  return bag;
}

/**
 * The index of the bucket holding x, given strictly increasing boundaries: the number of
 * boundaries ≤ x. So x < b[0] → 0, b[0] ≤ x < b[1] → 1, x ≥ b[last] → boundaries.length.
 */
export function bucketIndex(x: number, boundaries: readonly number[]): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The column of `value` in a one-hot vocabulary (exact, case-sensitive match): its position; an
 * unknown value goes to the extra last column when unknown is 'slot', or nowhere (-1, all zeros).
 */
export function oneHotIndex(value: string, vocabulary: ReadonlyMap<string, number>, unknown: 'zeros' | 'slot'): number {
  const i = vocabulary.get(value);
  if (i !== undefined) return i;
  return unknown === 'slot' ? vocabulary.size : -1;
}

/** x·mul + add, or (x − mean)/std. */
export function scale(x: number, mul: number, add: number): number | null {
  return finiteOrNull(x * mul + add);
}

export function clip(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

/** ln(1 + x); x ≤ −1 is missing. */
export function log1p(x: number): number | null {
  return x <= -1 ? null : finiteOrNull(Math.log1p(x));
}

/** ln(x); x ≤ 0 is missing. */
export function log(x: number): number | null {
  return x <= 0 ? null : finiteOrNull(Math.log(x));
}

/** sin or cos of 2π·x/period: hour 23 sits next to hour 0 with period 24. */
export function cyclic(x: number, period: number, fn: 'sin' | 'cos'): number {
  const angle = (2 * Math.PI * x) / period;
  return fn === 'sin' ? Math.sin(angle) : Math.cos(angle);
}

/** The text two values cross into before hashing: each as text, joined by U+001F. */
export function crossKey(a: string | number, b: string | number): string {
  return `${String(a)}\u001f${String(b)}`;
}

/**
 * The share of `tokens` found in `other` (duplicates count each time). No tokens gives 0: the
 * share of nothing is nothing, and an empty query is not a missing one.
 */
export function overlapShare(tokens: readonly string[], other: readonly string[]): number {
  if (tokens.length === 0) return 0;
  let found = 0;
  // A set pays off only past a few hundred comparisons; a query against a title or a short list
  // is cheaper scanned. Both compare as SameValueZero.
  if (tokens.length * other.length <= OVERLAP_SCAN_MAX) {
    for (const t of tokens) if (other.includes(t)) found++;
  } else {
    const set = new Set(other);
    for (const t of tokens) if (set.has(t)) found++;
  }
  return found / tokens.length;
}

const OVERLAP_SCAN_MAX = 256;

/** map[key]; a key the map lacks gives `absentValue` (missing when that is undefined). */
export function mapValue(map: Readonly<Record<string, number>>, key: string, absentValue: number | undefined): number | null {
  if (Object.hasOwn(map, key)) return map[key]!;
  return absentValue ?? null;
}

/** a / b; b = 0 is missing. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : finiteOrNull(a / b);
}
