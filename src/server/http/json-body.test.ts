import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../util/index.js';
import { parseJsonBody } from './json-body.js';
import { throwsCode } from '../../../test/helpers/errors.js';

const DEPTH = 64;

function bytesOf(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function parse(text: string | Uint8Array, maxDepth = DEPTH): unknown {
  return parseJsonBody(typeof text === 'string' ? bytesOf(text) : text, maxDepth);
}

/** What the contract compares against: JSON.parse of the body decoded as Buffer decodes it. */
function reference(text: string | Uint8Array): unknown {
  const bytes = typeof text === 'string' ? bytesOf(text) : text;
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

function assertFloat32Equal(actual: unknown, expected: Float32Array, label: string): void {
  assert.ok(actual instanceof Float32Array, `${label}: expected a Float32Array, got ${Object.prototype.toString.call(actual)}`);
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Object.is(actual[k], expected[k]), `${label}: element ${k} is ${actual[k]}, expected ${expected[k]}`);
  }
}

function fp32Doc(list: string): string {
  return `{"datatype":"FP32","data":[${list}]}`;
}

function dataOf(value: unknown): unknown {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'expected an object');
  return (value as Record<string, unknown>).data;
}

function randomInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function randomDigits(rand: () => number, count: number, leadingNonZero: boolean): string {
  let s = '';
  for (let k = 0; k < count; k++) s += String(k === 0 && leadingNonZero ? randomInt(rand, 1, 9) : randomInt(rand, 0, 9));
  return s;
}

const bits64 = new Float64Array(1);
const words64 = new Uint32Array(bits64.buffer);
const bits32 = new Float32Array(1);
const word32 = new Uint32Array(bits32.buffer);

/** A finite double: either from a random decimal of 1..25 digits and a wide exponent, or from random bits. */
function randomDouble(rand: () => number): number {
  for (;;) {
    let x: number;
    if (rand() < 0.5) {
      x = Number(`${randomDigits(rand, randomInt(rand, 1, 25), true)}e${randomInt(rand, -345, 330)}`);
    } else {
      words64[0] = Math.floor(rand() * 2 ** 32);
      words64[1] = Math.floor(rand() * 2 ** 32);
      x = bits64[0]!;
    }
    if (Number.isFinite(x)) return rand() < 0.3 ? -x : x;
  }
}

function randomFloat32(rand: () => number): number {
  for (;;) {
    word32[0] = Math.floor(rand() * 2 ** 32);
    const f = bits32[0]!;
    if (Number.isFinite(f)) return f;
  }
}

/** A JSON number text: hand-built digit strings, or a double printed in one of JavaScript's formats. */
function randomNumberText(rand: () => number): string {
  const style = randomInt(rand, 0, 5);
  if (style === 0) {
    const sign = rand() < 0.3 ? '-' : '';
    const int = rand() < 0.2 ? '0' : randomDigits(rand, randomInt(rand, 1, 25), true);
    const frac = rand() < 0.6 ? `.${randomDigits(rand, randomInt(rand, 1, 25), false)}` : '';
    let exp = '';
    if (rand() < 0.6) {
      exp = `${rand() < 0.5 ? 'e' : 'E'}${['', '+', '-'][randomInt(rand, 0, 2)]}${randomDigits(rand, randomInt(rand, 1, 3), false)}`;
    }
    return `${sign}${int}${frac}${exp}`;
  }
  const x = randomDouble(rand);
  if (style === 1) return String(x);
  if (style === 2) return x.toExponential(randomInt(rand, 0, 21));
  if (style === 3) return x.toFixed(randomInt(rand, 0, 21));
  if (style === 4) return x.toPrecision(randomInt(rand, 1, 21));
  return JSON.stringify(x);
}

function sweep(seed: number, count: number): string[] {
  const rand = seededRandom(seed);
  const out: string[] = [];
  for (let k = 0; k < count; k++) out.push(randomNumberText(rand));
  return out;
}

/**
 * Number texts whose values lie mostly in float32 range with decimal exponents near zero, where
 * the reader converts approximately and checks the result: 1..25 significant digits, a decimal
 * point anywhere, an exponent of -30..30 or none.
 */
function sweepInRange(seed: number, count: number): string[] {
  const rand = seededRandom(seed);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const digits = randomDigits(rand, randomInt(rand, 1, 25), true);
    const point = randomInt(rand, 0, digits.length);
    const mantissa = point === 0 ? `0.${'0'.repeat(randomInt(rand, 0, 3))}${digits}` : point === digits.length ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
    const exponent = rand() < 0.7 ? `e${randomInt(rand, -30, 30)}` : '';
    out.push(`${rand() < 0.3 ? '-' : ''}${mantissa}${exponent}`);
  }
  return out;
}

/** The exact decimal value of a finite positive double, as `digits` and a power of ten. */
function exactDecimal(x: number): { digits: bigint; exponent: number } {
  bits64[0] = x;
  const hi = BigInt(words64[1]!);
  const lo = BigInt(words64[0]!);
  const biased = Number((hi >> 20n) & 0x7ffn);
  let mantissa = ((hi & 0xfffffn) << 32n) | lo;
  let e2: number;
  if (biased === 0) e2 = -1074;
  else {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (e2 >= 0) return { digits: mantissa << BigInt(e2), exponent: 0 };
  return { digits: mantissa * 5n ** BigInt(-e2), exponent: e2 };
}

/**
 * Texts on and around the midpoint between adjacent float32 values a < b: the midpoint exactly,
 * just above and just below it in decimal, rounded to 17..25 digits, and moved by up to 1e-12
 * relative.
 */
function midpointTexts(a: number, b: number, rand: () => number): string[] {
  const mid = (a + b) / 2;
  const out: string[] = [];
  for (let p = 17; p <= 25; p++) out.push(mid.toPrecision(p));
  const { digits, exponent } = exactDecimal(mid);
  out.push(`${digits}e${exponent}`);
  out.push(`${digits}1e${exponent - 1}`);
  out.push(`${digits}000000000000000000001e${exponent - 21}`);
  if (digits > 1n) {
    out.push(`${digits - 1n}9e${exponent - 1}`);
    out.push(`${digits - 1n}99999999999999999999e${exponent - 20}`);
  }
  // The midpoint's shortest text with its last digit moved one up or down (a decimal perturbation).
  for (const p of [17, 21, 25]) {
    const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(mid.toPrecision(p));
    assert.ok(m, mid.toPrecision(p));
    const frac = m[2] ?? '';
    const whole = BigInt(m[1]! + frac);
    const e10 = Number(m[3] ?? '0') - frac.length;
    out.push(`${whole + 1n}e${e10}`);
    if (whole > 1n) out.push(`${whole - 1n}e${e10}`);
  }
  for (let k = 0; k < 3; k++) {
    const moved = mid * (1 + (rand() * 2 - 1) * 1e-12);
    out.push(moved.toPrecision(randomInt(rand, 17, 25)));
  }
  for (const t of out) assert.ok(/^\d+(\.\d+)?(e[+-]?\d+)?$/.test(t), t);
  return out;
}

/** Adjacent float32 values a < b, both finite and positive, with a spread of exponents. */
function adjacentFloat32(rand: () => number): [number, number] {
  for (;;) {
    const u = Math.floor(rand() * 0x7f7fffff);
    word32[0] = u;
    const a = bits32[0]!;
    word32[0] = u + 1;
    const b = bits32[0]!;
    if (Number.isFinite(a) && Number.isFinite(b)) return [a, b];
  }
}

/**
 * Checks one number text in FP32 context; returns a description of the disagreement, or undefined.
 * The expectation is Float32Array.from(JSON.parse(...).data) when every element fits FP32, else
 * JSON.parse's plain array.
 */
function fp32Mismatch(list: string): string | undefined {
  const doc = fp32Doc(list);
  const plain = (reference(doc) as { data: number[] }).data;
  const expected = Float32Array.from(plain);
  const fits = expected.every((v) => Number.isFinite(v));
  const actual = dataOf(parse(doc));
  if (!fits) {
    if (!Array.isArray(actual) || actual.length !== plain.length || !plain.every((v, k) => Object.is(v, actual[k]))) {
      return `[${list}]: expected plain array ${JSON.stringify(plain)}, got ${String(actual)}`;
    }
    return undefined;
  }
  if (!(actual instanceof Float32Array) || actual.length !== expected.length) {
    return `[${list}]: expected Float32Array, got ${Object.prototype.toString.call(actual)}`;
  }
  for (let k = 0; k < expected.length; k++) {
    if (!Object.is(actual[k], expected[k])) return `[${list}]: element ${k} is ${actual[k]}, expected ${expected[k]}`;
  }
  return undefined;
}

function plainMismatch(text: string): string | undefined {
  const expected = JSON.parse(text) as number;
  const top = parse(text);
  if (!Object.is(top, expected)) return `${text}: got ${String(top)}, expected ${expected}`;
  const inList = parse(` [ ${text} ,${text}] `) as unknown[];
  if (!Object.is(inList[0], expected) || !Object.is(inList[1], expected)) return `[${text}]: got ${String(inList[0])}, expected ${expected}`;
  const inObject = parse(`{"datatype":"INT32","data":${text}}`) as { data: unknown };
  if (!Object.is(inObject.data, expected)) return `{data:${text}}: got ${String(inObject.data)}, expected ${expected}`;
  return undefined;
}

function assertNoMismatches(mismatches: string[], checked: number): void {
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${checked} disagree`);
}

describe('parseJsonBody', () => {
  describe('agrees with JSON.parse on valid documents', () => {
    const corpus: string[] = [
      'true', 'false', 'null', '0', '-0', '1', '"x"', '""', '[]', '{}', '[[]]', '[{}]', '{"a":[]}', '{"a":{}}',
      '[true,false,null,0,-1.5,"s",[],{}]',
      '{"a":1,"b":[1,2,{"c":null,"d":[true,{"e":"f"}]}],"g":{"h":{"i":{}}}}',
      '{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":[1,2]}],"id":"r"}',
      '[[[[[[[[1]]]]]]]]',
      '{"":""}', '{"a":""}', '[""]', '{"a b":"c d"}',
      '{"b":1,"2":2,"a":3,"1":4,"10":5,"-1":6,"01":7,"4294967295":8,"4294967294":9}',
      '{"a":1,"a":2}', '{"a":{"x":1},"b":0,"a":[2]}',
      '"\\" \\\\ \\/ \\b \\f \\n \\r \\t"', '"\\u0041\\u00e9\\u00E9\\u4e2d\\uFFFF\\u0000"', '"\\ud83e\\udde6"',
      '"\\ud800"', '"\\udc00x"', '"a\\u0022b"', '{"\\u0061":"\\n"}', '["\\\\","\\"","\\/"]', '"\\\\\\""',
      '"é"', '"🧶"', '"中文字符"', '{"clé":"valeur 🧶","中":["文"]}', '"é\\n🧶"', '"\u007f"', '"\u00a0 \u2028 \u2029"',
      '1e5', '1E5', '1e+5', '1e-5', '1E-05', '-0.0', '-0e0', '0e-0', '0.0e+99999',
    ];

    it('returns values deep-equal to JSON.parse for literals, nesting, empty containers, escapes and UTF-8', () => {
      for (const text of corpus) assert.deepStrictEqual(parse(text), reference(text), text);
    });

    it('keeps duplicate keys as JSON.parse does: the last value wins, in the first key position', () => {
      for (const text of ['{"a":1,"b":2,"a":3}', '{"2":1,"a":2,"2":3}', '{"a":{"x":1},"a":{"y":2}}']) {
        const actual = parse(text) as Record<string, unknown>;
        assert.deepStrictEqual(actual, reference(text), text);
        assert.deepEqual(Object.keys(actual), Object.keys(reference(text) as object), text);
      }
    });

    it('orders integer-like keys first, ascending, like JSON.parse', () => {
      const text = '{"b":1,"2":2,"a":3,"1":4,"10":5,"-1":6,"01":7,"4294967294":8,"4294967295":9,"1.5":10}';
      const actual = parse(text) as object;
      assert.deepEqual(Object.keys(actual), Object.keys(reference(text) as object));
      assert.deepEqual(Object.keys(actual).slice(0, 4), ['1', '2', '10', '4294967294']);
    });

    it('makes "__proto__" an own enumerable property and leaves the prototype alone', () => {
      for (const text of [
        '{"__proto__":{"polluted":true},"a":1}',
        '{"a":1,"__proto__":[1,2]}',
        '{"__proto__":null}',
        '{"__proto__":1,"__proto__":{"x":2}}',
        '{"outer":{"__proto__":{"polluted":true}}}',
        '{"datatype":"FP32","__proto__":{"y":1},"data":[1]}',
        '{"\\u005f_proto__":{"polluted":true}}',
      ]) {
        const actual = parse(text) as Record<string, unknown>;
        const expected = reference(text) as Record<string, unknown>;
        if (!text.includes('FP32')) assert.deepStrictEqual(actual, expected, text);
        assert.equal(Object.getPrototypeOf(actual), Object.prototype, text);
        assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), text);
        assert.deepEqual(Object.keys(actual), Object.keys(expected), text);
        assert.ok(Object.prototype.hasOwnProperty.call(actual, '__proto__') || text.includes('outer'), text);
        assert.equal((actual as { polluted?: unknown }).polluted, undefined, text);
        if (text.includes('outer')) {
          const inner = actual.outer as Record<string, unknown>;
          assert.equal(Object.getPrototypeOf(inner), Object.prototype);
          assert.deepEqual(Object.keys(inner), ['__proto__']);
        } else if (!text.includes('FP32')) {
          assert.deepStrictEqual(actual.__proto__, expected.__proto__, text);
        }
      }
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });

    it('accepts all four JSON whitespace bytes between every pair of tokens', () => {
      const ws = [' ', '\t', '\n', '\r', ' \t\n\r', '\r\n\t '];
      const tokens = ['{', '"a"', ':', '[', '1', ',', '-2.5e3', ',', 'true', ',', 'null', ',', '{', '}', ',', '[', ']', ']', ',', '"datatype"', ':', '"FP32"', ',', '"data"', ':', '[', '1', ',', '2', ']', '}'];
      for (const w of ws) {
        const text = w + tokens.join(w) + w;
        const actual = parse(text) as Record<string, unknown>;
        assert.deepStrictEqual(actual.a, (reference(text) as Record<string, unknown>).a, JSON.stringify(w));
        assertFloat32Equal(actual.data, Float32Array.of(1, 2), JSON.stringify(w));
        assert.deepStrictEqual(parse(`${w}"s"${w}`), 's');
        assert.deepStrictEqual(parse(`${w}7${w}`), 7);
        assert.deepStrictEqual(parse(`${w}[${w}]${w}`), []);
        assert.deepStrictEqual(parse(`${w}{${w}}${w}`), {});
      }
    });

    it('decodes invalid UTF-8 inside strings, keys and escaped strings with the replacement characters Buffer.toString gives', () => {
      const pieces: number[][] = [
        [0xff], [0xfe], [0xc3], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0xa7], [0x80], [0xbf, 0xbf], [0xc0, 0xaf],
        [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe0, 0x80, 0x80], [0xc3, 0xa9, 0xff],
      ];
      for (const piece of pieces) {
        const raw = Buffer.from(piece);
        const bodies = [
          Buffer.concat([Buffer.from('"'), raw, Buffer.from('"')]),
          Buffer.concat([Buffer.from('["a'), raw, Buffer.from('b","'), raw, Buffer.from('"]')]),
          Buffer.concat([Buffer.from('{"k'), raw, Buffer.from('":"v'), raw, Buffer.from('"}')]),
          Buffer.concat([Buffer.from('"\\n'), raw, Buffer.from('\\t"')]),
          Buffer.concat([Buffer.from('["'), raw, Buffer.from('\\u00e9', 'latin1'), raw, Buffer.from('"]')]),
        ];
        for (const body of bodies) {
          const bytes = new Uint8Array(body);
          assert.deepStrictEqual(parse(bytes), reference(bytes), body.toString('hex'));
        }
      }
    });

    it('returns exactly the value JSON.parse returns for a document of every kind of member', () => {
      const rand = seededRandom(0x5eed);
      const randomValue = (depth: number): unknown => {
        const pick = randomInt(rand, 0, depth > 4 ? 4 : 7);
        if (pick === 0) return rand() < 0.5;
        if (pick === 1) return null;
        if (pick === 2) return randomDouble(rand);
        if (pick === 3) return randomInt(rand, -1000, 1000);
        if (pick === 4) return String.fromCodePoint(...Array.from({ length: randomInt(rand, 0, 6) }, () => [0x22, 0x5c, 0x0a, 0x41, 0xe9, 0x4e2d, 0x1f9f6, 0x01, 0x2f][randomInt(rand, 0, 8)]!));
        if (pick === 5) return Array.from({ length: randomInt(rand, 0, 4) }, () => randomValue(depth + 1));
        const obj: Record<string, unknown> = {};
        for (let k = randomInt(rand, 0, 4); k > 0; k--) obj[['a', 'b', '1', 'é', 'name', 'shape'][randomInt(rand, 0, 5)]!] = randomValue(depth + 1);
        return obj;
      };
      for (let k = 0; k < 300; k++) {
        const text = JSON.stringify(randomValue(0), null, k % 3 === 0 ? '\t' : undefined);
        assert.deepStrictEqual(parse(text), reference(text), text);
      }
    });
  });

  describe('reads numbers outside FP32 context as exactly JSON.parse does', () => {
    const numbers = [
      '0', '-0', '1', '-1', '0.1', '-0.1', '1e22', '1e23', '1e-22', '1e-23', '9007199254740992', '9007199254740993',
      '9007199254740994', '9007199254740995', '18014398509481985', '123456789012345678901234567890',
      '1.7976931348623157e308', '1.7976931348623158e308', '1.7976931348623159e308', '1e309', '-1e309', '5e-324',
      '2.4703282292062327e-324', '2.4703282292062328e-324', '1e-400', '-1e-400', '0.30000000000000004',
      '2.2250738585072011e-308', '2.2250738585072014e-308', '4.9406564584124654e-324', '7.038531e-26', '8.533e+68',
      '0.1234567890123456789', '1234567890123456789012345', '1.000000000000000000001', '9.999999999999999999999e-5',
      '123456789012345', '1234567890123456', '12345678901234567', '123456789012345678', '1234567890123456789',
      '12345678901234567890', '123456789012345678901', '1234567890123456789012', '12345678901234567890123',
      '123456789012345678901234', '1234567890123456789012345', '0.123456789012345', '1.2345678901234567',
      '12.345678901234567890', '123.45678901234567890123', '1234.5678901234567890123456', '89255.0e-22', '89255e-22',
      '1e+0', '1e-0', '1E+10', '1E-10', '2.5E+3', '2.5e-3', '1e0001', '1.5e+021', '100000000000000000000000',
      '0.000000000000000000000000000001', '0.0000000000000000000000001e3', '1.0000000000000000000000',
      '10000000000000000000000000000000000000000e-40', '4.35679e-10', '3.4028234663852886e38', '1e-45', '-1e-46',
      '17976931348623157' + '0'.repeat(292), '1' + '0'.repeat(400) + 'e-400', '0.' + '0'.repeat(400) + '1e401',
      '1e99999', '1e-99999', '0e99999999', '1e' + '9'.repeat(30), '1e-' + '9'.repeat(30),
    ];

    it('gives Object.is-equal doubles for hard cases: -0, powers of ten, 2^53 neighbours, overflow, underflow, long mantissas', () => {
      const mismatches = numbers.map(plainMismatch).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, numbers.length);
    });

    it('gives Object.is-equal doubles for a seeded sweep of 30,000 numbers printed in many ways', () => {
      const texts = sweep(1, 30_000);
      const mismatches = texts.map(plainMismatch).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, texts.length);
    });

    it('gives JSON.parse\'s double for a 16-digit mantissa that rounds to 2^53 with a non-zero exponent', () => {
      // 9007199254740993 = 2^53 + 1 accumulates to 2^53: the Clinger fast path must not take it
      // ("9007199254740993e-22" is 9.007199254740993e-7, not ...992e-7).
      const texts: string[] = ['900719925474099.3', '9.007199254740993', '0.9007199254740993', '90071992547409.93'];
      for (let e = -22; e <= 22; e++) texts.push(`9007199254740993e${e}`);
      for (let m = 2n ** 53n - 20n; m <= 2n ** 53n + 20n; m++) texts.push(`${m}e-7`, `${m}e5`);
      const mismatches = texts.map(plainMismatch).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, texts.length);
    });

    it('gives JSON.parse\'s value when a huge exponent is offset by ~100,000 mantissa digits', () => {
      // "0.<100,018 zeros>1e1000190" is really 1e900171 (Infinity); an exponent capped while read
      // must not cancel against the digit count into a small, wrong one.
      const text = `0.${'0'.repeat(100_018)}1e1000190`;
      assert.equal(JSON.parse(text), Infinity);
      assert.equal(parse(text), Infinity);
    });
  });

  describe('reads the data list of an FP32 object as a Float32Array', () => {
    it('gives Float32Array.from(JSON.parse(...).data) for a seeded sweep of 30,000 numbers, one list each', () => {
      const texts = sweep(2, 30_000);
      const mismatches = texts.map((t) => fp32Mismatch(t)).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, texts.length);
    });

    it('gives Float32Array.from(JSON.parse(...).data) for 30,000 numbers of 1..25 digits in float32 range', () => {
      const texts = sweepInRange(7, 30_000);
      const mismatches = texts.map((t) => fp32Mismatch(t)).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, texts.length);
    });

    it('gives the same elements when the sweep\'s fitting numbers share one list', () => {
      const texts = [...sweep(3, 20_000), ...sweepInRange(8, 20_000)].filter((t) => Number.isFinite(Math.fround(JSON.parse(t) as number)));
      assert.ok(texts.length > 20_000, String(texts.length));
      const doc = fp32Doc(texts.join(', '));
      assertFloat32Equal(dataOf(parse(doc)), Float32Array.from((reference(doc) as { data: number[] }).data), 'sweep list');
    });

    it('reads float32 values printed with up to 17 digits back to the same float32', () => {
      const rand = seededRandom(4);
      const mismatches: string[] = [];
      let checked = 0;
      for (let k = 0; k < 10_000; k++) {
        const f = randomFloat32(rand);
        for (const text of [JSON.stringify(f), f.toPrecision(9), f.toPrecision(17), JSON.stringify(Math.fround(randomDouble(rand)))]) {
          if (!Number.isFinite(JSON.parse(text))) continue;
          checked++;
          const m = fp32Mismatch(text);
          if (m !== undefined) mismatches.push(m);
        }
        if (k < 50) {
          const actual = dataOf(parse(fp32Doc(JSON.stringify(f))));
          assertFloat32Equal(actual, Float32Array.of(f), JSON.stringify(f));
        }
      }
      assertNoMismatches(mismatches, checked);
    });

    it('rounds numbers on, just above, just below and within 1e-12 of float32 midpoints as Float32Array.from does', () => {
      const rand = seededRandom(5);
      const mismatches: string[] = [];
      let checked = 0;
      for (let k = 0; k < 2_500; k++) {
        const [a, b] = adjacentFloat32(rand);
        for (const text of midpointTexts(a, b, rand)) {
          for (const signed of [text, `-${text}`]) {
            checked++;
            const m = fp32Mismatch(signed);
            if (m !== undefined) mismatches.push(m);
          }
        }
      }
      // Midpoints around values with few significant bits, where the decimal text is short.
      for (const [a, b] of [[1, 1 + 2 ** -23], [0.5, 0.5 + 2 ** -24], [16777216, 16777218], [2 ** -126, 2 ** -126 + 2 ** -149], [0, 2 ** -149], [3.4028232635611926e38, 3.4028234663852886e38]] as const) {
        for (const text of midpointTexts(a, b, rand)) {
          checked++;
          const m = fp32Mismatch(text);
          if (m !== undefined) mismatches.push(m);
        }
      }
      assert.ok(checked > 50_000, String(checked));
      assertNoMismatches(mismatches, checked);
    });

    it('keeps FP32 max and numbers that round to it, and falls back to a plain array for numbers that overflow', () => {
      const max = 3.4028234663852886e38;
      const overflowAt = 2 ** 128 - 2 ** 103;
      assertFloat32Equal(dataOf(parse(fp32Doc('3.4028234663852886e38, -3.4028234663852886e38'))), Float32Array.of(max, -max), 'max');
      assertFloat32Equal(dataOf(parse(fp32Doc('3.4028235e38'))), Float32Array.of(max), '3.4028235e38');
      assertFloat32Equal(dataOf(parse(fp32Doc('3.40282356779733e38'))), Float32Array.of(max), 'just under the overflow point');
      for (const text of ['1e39', '-1e39', '3.5e38', '3.4028235677973366e38', String(overflowAt), '1e309', '1e400', '340282356779733661637539395458142568448']) {
        const doc = fp32Doc(`1, ${text}, 2`);
        const actual = dataOf(parse(doc));
        assert.ok(Array.isArray(actual), text);
        assert.deepStrictEqual(actual, (reference(doc) as { data: unknown }).data, text);
      }
      for (const t of ['3.4028235677973362e38', '340282356779733661637539395458142568447', '3.40282356779733661637539395458142568449e38']) {
        assert.equal(fp32Mismatch(t), undefined, t);
      }
    });

    it('rounds tiny values, subnormals and negative zero as Float32Array.from does', () => {
      const texts = ['1e-40', '1e-45', '1e-46', '-1e-46', '7e-46', '7.006492321624085e-46', '7.1e-46', '1.401298464324817e-45',
        '1.1754942e-38', '1.1754943508222875e-38', '5e-324', '1e-400', '-1e-400', '-0', '-0.0', '-0e5', '0', '0.0e-10'];
      const mismatches = texts.map((t) => fp32Mismatch(t)).filter((m): m is string => m !== undefined);
      assertNoMismatches(mismatches, texts.length);
      const all = dataOf(parse(fp32Doc('-0, 1e-46, -1e-46, 1e-45')));
      assertFloat32Equal(all, Float32Array.of(-0, 0, -0, 2 ** -149), 'tiny');
    });

    it('gives 0 for a number whose huge negative exponent is offset by ~100,000 integer digits', () => {
      // "1<100,037 zeros>e-1000190" is 1e-900153 (0): the capped exponent must not cancel against
      // the dropped integer digits.
      const doc = fp32Doc(`1${'0'.repeat(100_037)}e-1000190`);
      assertFloat32Equal(dataOf(parse(doc)), Float32Array.from((reference(doc) as { data: number[] }).data), 'huge exponent');
    });

    it('reads the data list of FP32 objects nested in a request, and only of those', () => {
      const text = '{"inputs":[{"name":"a","datatype":"FP32","shape":[2],"data":[1.5,-2]},'
        + '{"name":"b","datatype":"INT32","data":[1,2]},{"datatype":"fp32","data":[1]},'
        + '{"datatype":"FP\\u0033\\u0032","d\\u0061ta":[0.1]},{"datatype":"FP32","parameters":{"data":[3]}}]}';
      const inputs = (parse(text) as { inputs: Array<Record<string, unknown>> }).inputs;
      assertFloat32Equal(inputs[0]!.data, Float32Array.of(1.5, -2), 'a');
      assert.deepStrictEqual(inputs[1]!.data, [1, 2]);
      assert.deepStrictEqual(inputs[2]!.data, [1]);
      assertFloat32Equal(inputs[3]!.data, Float32Array.of(0.1), 'escaped keys');
      assert.deepStrictEqual(inputs[4]!.parameters, { data: [3] });
      assert.deepStrictEqual(inputs[0]!.shape, [2]);
      assert.equal(inputs[0]!.name, 'a');
    });
  });

  describe('falls back to the plain array where the data list is not FP32 numbers', () => {
    it('returns JSON.parse\'s array for a list with a string, bool, null, nested list, object or overflowing number', () => {
      for (const list of ['1,"2"', '"a"', 'true', '1,false', 'null', '1,null,3', '[1]', '1,[2,3]', '1,{}', '1,1e39', '1e39,1', '1,2,1e309']) {
        const doc = fp32Doc(list);
        const actual = dataOf(parse(doc));
        assert.ok(Array.isArray(actual), list);
        assert.deepStrictEqual(actual, (reference(doc) as { data: unknown }).data, list);
      }
    });

    it('returns a plain array when datatype follows data', () => {
      const text = '{"data":[1,2.5],"datatype":"FP32"}';
      assert.deepStrictEqual(parse(text), { data: [1, 2.5], datatype: 'FP32' });
    });

    it('returns a plain array when a later duplicate datatype is not FP32', () => {
      for (const text of [
        '{"datatype":"FP32","data":[1],"datatype":"INT32"}',
        '{"datatype":"FP32","data":[0.1, -0],"shape":[2],"datatype":"FP64"}',
        '{"datatype":"FP32","data":[1],"datatype":null}',
        '{"datatype":"FP32","data":[1],"datatype":["FP32"]}',
        '{"datatype":"FP32","datatype":"INT32","data":[1]}',
      ]) {
        const actual = parse(text) as Record<string, unknown>;
        assert.deepStrictEqual(actual, reference(text), text);
        assert.ok(Array.isArray(actual.data), text);
        assert.deepEqual(Object.keys(actual), Object.keys(reference(text) as object), text);
      }
      const r = parse('{"datatype":"FP32","data":[1],"datatype":"INT32"}') as Record<string, unknown>;
      assert.deepStrictEqual(r.data, [1]);
      assert.equal(r.datatype, 'INT32');
      const neg = parse('{"datatype":"FP32","data":[0.1, -0],"shape":[2],"datatype":"FP64"}') as { data: number[] };
      assert.ok(Object.is(neg.data[1], -0));
      assert.equal(neg.data[0], 0.1);
    });

    it('uses the last data member and the final datatype when both repeat', () => {
      const twice = parse('{"datatype":"FP32","data":[1],"data":[2,3],"datatype":"INT32"}') as Record<string, unknown>;
      assert.deepStrictEqual(twice, { datatype: 'INT32', data: [2, 3] });
      const plainLast = parse('{"datatype":"FP32","data":[1],"data":"x","datatype":"INT32"}') as Record<string, unknown>;
      assert.deepStrictEqual(plainLast, { datatype: 'INT32', data: 'x' });
      const backToFp32 = parse('{"datatype":"FP32","data":[1],"datatype":"INT32","datatype":"FP32"}') as Record<string, unknown>;
      assertFloat32Equal(backToFp32.data, Float32Array.of(1), 'FP32 again');
      const int32Then = parse('{"datatype":"FP32","data":[1],"datatype":"INT32","data":[2]}') as Record<string, unknown>;
      assert.deepStrictEqual(int32Then, { datatype: 'INT32', data: [2] });
    });

    it('returns a data member that is not a list as JSON.parse does, and an empty list as an empty Float32Array', () => {
      for (const value of ['5', '-0', '"x"', 'null', 'true', '{"a":[1]}', '1e39']) {
        const text = `{"datatype":"FP32","data":${value}}`;
        assert.deepStrictEqual(parse(text), reference(text), text);
      }
      assertFloat32Equal(dataOf(parse('{"datatype":"FP32","data":[]}')), new Float32Array(0), 'empty');
      assertFloat32Equal(dataOf(parse('{"datatype":"FP32","data":[ \n\t ]}')), new Float32Array(0), 'empty with space');
    });
  });

  describe('rejects invalid JSON with INVALID_JSON', () => {
    const invalid: Array<string | Uint8Array> = [
      '', ' ', '\n', '{', '}', '[', ']', '[1,]', '[,1]', '[1,,2]', '{"a":1,}', '{,}', '{"a" 1}', '{"a"}', '{"a":}', '{a:1}', "{'a':1}",
      '{"a":1 "b":2}', '{1:2}', '01', '-01', '00', '1.', '.5', '-', '+1', '1e', '1e+', '1e-', '1.e5', '0x10', '1e5.5', '1.5.5',
      'NaN', 'Infinity', '-Infinity', 'tru', 'nul', 'fals', 'truex', 'True', 'NULL', '"abc', '"\\x"', '"\\u12"', '"\\u12G4"', '"\\',
      '"a\u0001b"', '"a\nb"', '"a\tb"', '["a\u001fb"]', '{"k\u0001":1}', '"\\n\u0001"', '\uFEFF{}', '1 2', '{} {}', '[] []', '[1 2]', '[1] x', '"a" "b"',
      'undefined', '[true false]', '{"a":1}}', '[[1]', '[1]]', '// c\n1', '/* c */1', "'s'",
      new Uint8Array([0xc3, 0xa9]), new Uint8Array([0x5b, 0xff, 0x5d]), new Uint8Array([0x31, 0x00]),
      '{"datatype":"FP32","data":[01]}', '{"datatype":"FP32","data":[1.]}', '{"datatype":"FP32","data":[-]}',
      '{"datatype":"FP32","data":[1,]}', '{"datatype":"FP32","data":[1 2]}', '{"datatype":"FP32","data":[1,2',
      '{"datatype":"FP32","data":[1,2]', '{"datatype":"FP32","data":[1e]}', '{"datatype":"FP32","data":[.5]}',
      '{"datatype":"FP32","data":[+1]}', '{"datatype":"FP32","data":[1,,2]}', '{"datatype":"FP32","data":[1x]}',
      '{"datatype":"FP32","data":[1,"a]}', '{"datatype":"FP32","data":[1,NaN]}', '{"datatype":"FP32","data":[1.5.5]}',
      '{"datatype":"FP32","data":[-01]}', '{"datatype":"FP32","data":[0x1]}', '{"datatype":"FP32","data":[1]',
      '{"datatype":"FP32","data":[1],"datatype":"INT32"', '{"datatype":"FP32","data":[1],"datatype":"INT32",}',
      '{"datatype":"FP32","data":[1] "shape":[1]}',
    ];

    it('throws INVALID_JSON for every document JSON.parse rejects, without quoting the body', () => {
      for (const input of invalid) {
        const bytes = typeof input === 'string' ? bytesOf(input) : input;
        const text = Buffer.from(bytes).toString('utf8');
        assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}`);
        const err = throwsCode(() => parseJsonBody(bytes, DEPTH), 'INVALID_JSON');
        if (text.length > 3) assert.ok(!err.message.includes(text), `message quotes ${JSON.stringify(text)}: ${err.message}`);
      }
    });

    it('does not quote a secret from the body in the message', () => {
      const err = throwsCode(() => parse('{"inputs":[{"token":"hunter2-secret","data":[1,]}]}'), 'INVALID_JSON');
      assert.ok(!err.message.includes('hunter2'));
      const fp32 = throwsCode(() => parse('{"datatype":"FP32","data":[1,2,secret-value]}'), 'INVALID_JSON');
      assert.ok(!fp32.message.includes('secret'));
    });
  });

  describe('limits nesting depth', () => {
    it('counts objects and lists, at the bound and one past it, and ignores brackets inside strings', () => {
      assert.deepStrictEqual(parse('{"a":[[1]]}', 3), { a: [[1]] });
      throwsCode(() => parse('{"a":[[1]]}', 2), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(parse('[[],[],[]]', 2), [[], [], []]);
      assert.equal(parse('1', 0), 1);
      assert.deepStrictEqual(parse('{"a":"[[[[{{{{"}', 1), { a: '[[[[{{{{' });
      assert.deepStrictEqual(parse('{"a":"\\"[[[[\\\\"}', 1), { a: '"[[[[\\' });
      assert.deepStrictEqual(parse('{"é🧶":"[[["}', 1), { 'é🧶': '[[[' });
    });

    it('accepts nesting exactly maxDepth deep and rejects one level more with JSON_TOO_DEEP', () => {
      assert.deepStrictEqual(parse('{}', 1), {});
      assert.deepStrictEqual(parse('[]', 1), []);
      assert.deepStrictEqual(parse('1', 0), 1);
      assert.deepStrictEqual(parse('"s"', 0), 's');
      throwsCode(() => parse('{}', 0), 'JSON_TOO_DEEP');
      throwsCode(() => parse('[]', 0), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(parse('[[1]]', 2), [[1]]);
      throwsCode(() => parse('[[1]]', 1), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(parse('{"a":{"b":{}}}', 3), { a: { b: {} } });
      throwsCode(() => parse('{"a":{"b":{}}}', 2), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(parse('[{"a":[]}]', 3), [{ a: [] }]);
      throwsCode(() => parse('[{"a":[]}]', 2), 'JSON_TOO_DEEP');
      for (let depth = 1; depth <= 40; depth++) {
        const arrays = '['.repeat(depth) + ']'.repeat(depth);
        assert.deepStrictEqual(parse(arrays, depth), JSON.parse(arrays));
        throwsCode(() => parse(arrays, depth - 1), 'JSON_TOO_DEEP');
        const objects = '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
        assert.deepStrictEqual(parse(objects, depth), JSON.parse(objects));
        throwsCode(() => parse(objects, depth - 1), 'JSON_TOO_DEEP');
      }
    });

    it('counts the FP32 data list as one level, whether it is read as a Float32Array or a plain array', () => {
      throwsCode(() => parse('{"datatype":"FP32","data":[1]}', 1), 'JSON_TOO_DEEP');
      assertFloat32Equal(dataOf(parse('{"datatype":"FP32","data":[1]}', 2)), Float32Array.of(1), 'depth 2');
      throwsCode(() => parse('{"datatype":"FP32","data":[]}', 1), 'JSON_TOO_DEEP');
      throwsCode(() => parse('{"datatype":"FP32","data":["a"]}', 1), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(dataOf(parse('{"datatype":"FP32","data":["a"]}', 2)), ['a']);
      throwsCode(() => parse('{"datatype":"FP32","data":[[1]]}', 2), 'JSON_TOO_DEEP');
      assert.deepStrictEqual(dataOf(parse('{"datatype":"FP32","data":[[1]]}', 3)), [[1]]);
      assert.deepStrictEqual(dataOf(parse('{"datatype":"FP32","data":[1],"datatype":"INT32"}', 2)), [1]);
      throwsCode(() => parse('{"inputs":[{"datatype":"FP32","data":[1]}]}', 3), 'JSON_TOO_DEEP');
      assertFloat32Equal((parse('{"inputs":[{"datatype":"FP32","data":[1]}]}', 4) as { inputs: Array<{ data: unknown }> }).inputs[0]!.data, Float32Array.of(1), 'nested');
    });

    it('rejects 10,000 nested lists or objects with JSON_TOO_DEEP instead of overflowing the stack', () => {
      throwsCode(() => parse('['.repeat(10_000) + ']'.repeat(10_000), 64), 'JSON_TOO_DEEP');
      throwsCode(() => parse('['.repeat(10_000), 64), 'JSON_TOO_DEEP');
      throwsCode(() => parse('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), 64), 'JSON_TOO_DEEP');
      throwsCode(() => parse(`{"datatype":"FP32","data":${'['.repeat(10_000)}1${']'.repeat(10_000)}}`, 64), 'JSON_TOO_DEEP');
    });

    it('does not count siblings: a wide document one level deep passes with maxDepth 1', () => {
      const wide = `[${Array.from({ length: 5000 }, (_, k) => k).join(',')}]`;
      assert.equal((parse(wide, 1) as unknown[]).length, 5000);
      const wideObject = `{${Array.from({ length: 2000 }, (_, k) => `"k${k}":${k}`).join(',')}}`;
      assert.equal(Object.keys(parse(wideObject, 1) as object).length, 2000);
    });
  });

  describe('with float32Data: false (the other JSON routes)', () => {
    it('returns JSON.parse\'s plain array for the data of an FP32 object', () => {
      const doc = '{"datatype":"FP32","data":[0.1,1e39,-0]}';
      const value = parseJsonBody(bytesOf(doc), DEPTH, { float32Data: false }) as { data: unknown };
      assert.ok(Array.isArray(value.data));
      assert.deepStrictEqual(value, JSON.parse(doc));
    });
  });

  describe('reads a Uint8Array view', () => {
    it('reads only the view when it starts at a non-zero byteOffset inside a larger buffer', () => {
      const cases: Array<[string, unknown]> = [
        ['12', 12],
        ['-0.5', -0.5],
        ['123456789012345678901234567', 123456789012345678901234567],
        ['1.2345678901234567890123', 1.2345678901234567890123],
        ['"tail"', 'tail'],
        ['"é\\n"', 'é\n'],
        ['true', true],
        ['[1,2]', [1, 2]],
        ['{"a":"b"}', { a: 'b' }],
      ];
      for (const [json, expected] of cases) {
        // The bytes around the view would change the value if they were read: digits, a quote, a comma.
        const whole = Buffer.concat([Buffer.from('99999[9,"x'), Buffer.from(json), Buffer.from('34567",8]\u0000\u00ff')]);
        const view = new Uint8Array(whole.buffer, whole.byteOffset + 10, Buffer.byteLength(json));
        assert.notEqual(view.byteOffset, 0);
        assert.deepStrictEqual(parseJsonBody(view, DEPTH), expected, json);
      }
    });

    it('reads the JSON header of a binary-extension body, FP32 lists and long numbers included', () => {
      const header = '{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[0.1,1.00000001192092895507812501,3.4028235e38,123456789.123456789e-3]},'
        + '{"name":"y","datatype":"INT64","shape":[1],"data":[12345678901234567890123]}]}';
      const binary = new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer);
      const whole = new Uint8Array(Buffer.concat([Buffer.from('1234'), Buffer.from(header), Buffer.from(binary), Buffer.from('5678')]));
      const view = whole.subarray(4, 4 + Buffer.byteLength(header));
      assert.equal(view.byteOffset, 4);
      const actual = parseJsonBody(view, DEPTH) as { inputs: Array<Record<string, unknown>> };
      const expected = JSON.parse(header) as { inputs: Array<Record<string, unknown>> };
      assertFloat32Equal(actual.inputs[0]!.data, Float32Array.from(expected.inputs[0]!.data as number[]), 'x');
      assert.deepStrictEqual(actual.inputs[1], expected.inputs[1]);
    });
  });

  describe('reuses its scratch space safely', () => {
    it('reads an FP32 list of 200,000 elements, longer than the scratch, exactly', () => {
      const rand = seededRandom(6);
      const values: number[] = [];
      while (values.length < 200_000) {
        const v = rand() < 0.5 ? randomFloat32(rand) : randomDouble(rand);
        if (Number.isFinite(Math.fround(v))) values.push(v);
      }
      const doc = fp32Doc(values.map((v) => JSON.stringify(v)).join(','));
      const expected = Float32Array.from((reference(doc) as { data: number[] }).data);
      assert.equal(expected.length, 200_000);
      assertFloat32Equal(dataOf(parse(doc)), expected, 'long list');
    });

    it('does not leak elements from an earlier, longer list into a later, shorter one', () => {
      const long = Array.from({ length: 1000 }, (_, k) => k + 0.5);
      const first = dataOf(parse(fp32Doc(long.join(','))));
      assertFloat32Equal(first, Float32Array.from(long), 'first');
      const short = [9, 8, 7, 6, 5, 4, 3, 2, 1, -0];
      const second = dataOf(parse(fp32Doc(short.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(','))));
      assertFloat32Equal(second, Float32Array.from(short), 'second');
      assert.equal((second as Float32Array).length, 10);
      assert.equal((second as Float32Array).buffer.byteLength, 40);
      // The first result is its own copy: reading the second did not overwrite it.
      assertFloat32Equal(first, Float32Array.from(long), 'first after second');

      const huge = dataOf(parse(fp32Doc(Array.from({ length: 70_000 }, (_, k) => String(k)).join(','))));
      assert.equal((huge as Float32Array).length, 70_000);
      const after = dataOf(parse(fp32Doc('1.5,2.5,3.5')));
      assertFloat32Equal(after, Float32Array.of(1.5, 2.5, 3.5), 'after a list beyond the scratch');
      assert.equal((huge as Float32Array)[2], 2);
    });

    it('reads several FP32 lists in one document into separate arrays', () => {
      const text = '{"inputs":[{"datatype":"FP32","data":[1,2,3]},{"datatype":"FP32","data":[4,5]},{"datatype":"FP32","data":[6,"x"]}]}';
      const inputs = (parse(text) as { inputs: Array<{ data: unknown }> }).inputs;
      assertFloat32Equal(inputs[0]!.data, Float32Array.of(1, 2, 3), 'first');
      assertFloat32Equal(inputs[1]!.data, Float32Array.of(4, 5), 'second');
      assert.deepStrictEqual(inputs[2]!.data, [6, 'x']);
      assert.notEqual((inputs[0]!.data as Float32Array).buffer, (inputs[1]!.data as Float32Array).buffer);
    });

    it('does not leave a partly read FP32 list behind after a fallback or an error', () => {
      assert.deepStrictEqual(dataOf(parse(fp32Doc('1,2,3,"x"'))), [1, 2, 3, 'x']);
      throwsCode(() => parse(fp32Doc('7,7,7,7,7,01')), 'INVALID_JSON');
      assertFloat32Equal(dataOf(parse(fp32Doc('4'))), Float32Array.of(4), 'after fallback and error');
    });
  });
});
