import { ServingError } from '../../errors/index.js';

/**
 * The JSON reader for infer request bodies. It accepts exactly what JSON.parse accepts and returns
 * the same values, with one difference: the `data` member of an object whose `datatype` is "FP32"
 * (named before `data`, as OIP clients write it) comes back as a Float32Array holding what
 * `Float32Array.from(JSON.parse(...).data)` would hold.
 *
 * Why not JSON.parse: a tensor body is mostly numbers, and V8 converts each one with a general
 * decimal-to-double routine (about 80 ns for a 17-digit number here), then the codec copies the
 * resulting array into a Float32Array. This reader converts each number once, straight to float32,
 * with a check that makes the result exact (see float32Of), in about half the time, and enforces
 * the nesting limit in the same pass.
 *
 * A `data` list that holds anything but numbers that fit FP32, or is nested, is read as a plain
 * array instead, so the codec reports the problem exactly as it does for JSON.parse's output.
 * `float32Data: false` turns the Float32Array reading off: the other JSON routes, whose bodies are
 * not tensors, get exactly JSON.parse's values with the same depth limit.
 */
export function parseJsonBody(bytes: Uint8Array, maxDepth: number, options: { float32Data?: boolean } = {}): unknown {
  const reader = new Reader(bytes, maxDepth, options.float32Data ?? true);
  reader.skipSpace();
  const value = reader.value(0);
  reader.skipSpace();
  if (reader.at !== bytes.length) reader.fail();
  return value;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Above this a double cannot hold every integer, so m * 10 + digit may round. */
const EXACT_INT = 2 ** 53;
/**
 * A bound on the relative error of the approximate conversion: at most 19 digits are accumulated
 * (each step rounds by at most 2^-53, twice), the rest truncated (< 1e-18), then one scaling by an
 * exact power of ten (2^-53). That is under 4.3e-15; 1e-14 leaves room.
 */
const RELATIVE_ERROR = 1e-14;
const MAX_DIGITS = 19;
/** Elements kept in the reused scratch array; a larger `data` list gets an array of its own. */
const SCRATCH_ELEMENTS = 65_536;
let scratch: Float32Array = new Float32Array(1024);

const enum Byte {
  Tab = 0x09, Newline = 0x0a, Return = 0x0d, Space = 0x20, Quote = 0x22, Comma = 0x2c, Minus = 0x2d, Plus = 0x2b,
  Dot = 0x2e, Zero = 0x30, One = 0x31, Nine = 0x39, Colon = 0x3a, OpenBracket = 0x5b, Backslash = 0x5c,
  CloseBracket = 0x5d, LowerE = 0x65, UpperE = 0x45, OpenBrace = 0x7b, CloseBrace = 0x7d,
}

function isDigit(c: number): boolean {
  return c >= Byte.Zero && c <= Byte.Nine;
}

class Reader {
  at = 0;
  private readonly text: Buffer;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly maxDepth: number, private readonly float32Data: boolean) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(): never {
    // Never quote the body: it is the client's data.
    throw new ServingError('INVALID_JSON', 'the request body (or its JSON header) is not valid JSON');
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) {
      throw new ServingError('JSON_TOO_DEEP', `the JSON nests deeper than ${this.maxDepth} levels; send \`data\` flat`);
    }
  }

  skipSpace(): void {
    const b = this.bytes;
    let i = this.at;
    for (;;) {
      const c = b[i];
      if (c === Byte.Space || c === Byte.Newline || c === Byte.Return || c === Byte.Tab) i++;
      else break;
    }
    this.at = i;
  }

  /** One value starting at `at` (no leading space); `depth` counts the containers around it. */
  value(depth: number): unknown {
    const c = this.bytes[this.at];
    if (c === Byte.OpenBrace) return this.object(depth + 1);
    if (c === Byte.OpenBracket) return this.array(depth + 1);
    if (c === Byte.Quote) return this.string();
    if (c === Byte.Minus || (c !== undefined && isDigit(c))) return this.number();
    if (this.word('true')) return true;
    if (this.word('false')) return false;
    if (this.word('null')) return null;
    return this.fail();
  }

  private word(w: string): boolean {
    const b = this.bytes;
    for (let k = 0; k < w.length; k++) if (b[this.at + k] !== w.charCodeAt(k)) return false;
    this.at += w.length;
    return true;
  }

  private object(depth: number): Record<string, unknown> {
    this.enter(depth);
    const b = this.bytes;
    this.at++;
    this.skipSpace();
    const out: Record<string, unknown> = {};
    if (b[this.at] === Byte.CloseBrace) {
      this.at++;
      return out;
    }
    let fp32 = false;
    let fastDataAt = -1;
    for (;;) {
      if (b[this.at] !== Byte.Quote) this.fail();
      const key = this.string();
      this.skipSpace();
      if (b[this.at] !== Byte.Colon) this.fail();
      this.at++;
      this.skipSpace();
      let value: unknown;
      if (key === 'data' && fp32 && b[this.at] === Byte.OpenBracket) {
        const start = this.at;
        value = this.float32List(depth + 1);
        if (value === undefined) value = this.array(depth + 1);
        else fastDataAt = start;
      } else {
        value = this.value(depth);
      }
      if (key === '__proto__') {
        // JSON.parse makes "__proto__" an own property; assignment would set the prototype.
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        out[key] = value;
      }
      if (key === 'datatype') fp32 = this.float32Data && value === 'FP32';
      if (key === 'data' && !(value instanceof Float32Array)) fastDataAt = -1;
      if (!this.another(Byte.CloseBrace)) break;
    }
    // A later `datatype` (a duplicate key) may have changed the type the list was read for.
    if (fastDataAt >= 0 && out.datatype !== 'FP32') {
      const end = this.at;
      this.at = fastDataAt;
      out.data = this.array(depth + 1);
      this.at = end;
    }
    return out;
  }

  /** After a member: true past a comma (another follows), false past `close`; anything else fails. */
  private another(close: Byte): boolean {
    this.skipSpace();
    const c = this.bytes[this.at++];
    if (c === Byte.Comma) {
      this.skipSpace();
      return true;
    }
    if (c !== close) this.fail();
    return false;
  }

  private array(depth: number): unknown[] {
    this.enter(depth);
    const b = this.bytes;
    this.at++;
    this.skipSpace();
    const out: unknown[] = [];
    if (b[this.at] === Byte.CloseBracket) {
      this.at++;
      return out;
    }
    do out.push(this.value(depth));
    while (this.another(Byte.CloseBracket));
    return out;
  }

  /**
   * A flat list of numbers that all fit FP32, as a Float32Array; undefined (position unchanged)
   * when the list holds anything else, so the caller reads it as a plain array.
   */
  private float32List(depth: number): Float32Array | undefined {
    this.enter(depth);
    const b = this.bytes;
    const start = this.at;
    let i = skipSpaceAt(b, start + 1);
    if (b[i] === Byte.CloseBracket) {
      this.at = i + 1;
      return new Float32Array(0);
    }
    let out: Float32Array = scratch;
    let n = 0;
    for (;;) {
      const c = b[i];
      if (c !== Byte.Minus && (c === undefined || !isDigit(c))) break;
      if (!readNumber(b, this.view, i, true)) this.fail();
      const v = numberValue[0]!;
      if (v === Infinity || v === -Infinity) break;
      if (n === out.length) out = grow(out);
      out[n++] = v;
      i = skipSpaceAt(b, numberEnd);
      const next = b[i++];
      if (next === Byte.Comma) {
        i = skipSpaceAt(b, i);
        continue;
      }
      if (next !== Byte.CloseBracket) this.fail();
      this.at = i;
      if (out.length <= SCRATCH_ELEMENTS) scratch = out;
      return out.slice(0, n);
    }
    this.at = start;
    return undefined;
  }

  private number(): number {
    if (!readNumber(this.bytes, this.view, this.at, false)) this.fail();
    this.at = numberEnd;
    return numberValue[0]!;
  }

  private string(): string {
    const b = this.bytes;
    const end = b.length;
    const start = this.at + 1;
    let ascii = true;
    let i = start;
    for (;;) {
      if (i >= end) this.fail();
      const c = b[i]!;
      if (c === Byte.Quote) break;
      if (c === Byte.Backslash) return this.escapedString();
      if (c < Byte.Space) this.fail();
      if (c >= 0x80) ascii = false;
      i++;
    }
    this.at = i + 1;
    return ascii ? this.text.toString('latin1', start, i) : this.text.toString('utf8', start, i);
  }

  /** A string with escapes: find its end, then let JSON.parse decode (and check) the escapes. */
  private escapedString(): string {
    const b = this.bytes;
    const start = this.at;
    let i = start + 1;
    for (;;) {
      if (i >= b.length) this.fail();
      const c = b[i]!;
      if (c === Byte.Quote) break;
      if (c < Byte.Space) this.fail();
      i += c === Byte.Backslash ? 2 : 1;
    }
    this.at = i + 1;
    try {
      return JSON.parse(this.text.toString('utf8', start, i + 1)) as string;
    } catch {
      return this.fail();
    }
  }
}

function skipSpaceAt(b: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const c = b[i];
    if (c === Byte.Space || c === Byte.Newline || c === Byte.Return || c === Byte.Tab) i++;
    else return i;
  }
}

/**
 * Where the last readNumber call stopped (one past the number) and what it read. A typed slot,
 * because a double returned from a function is boxed on the heap: one allocation per number.
 */
let numberEnd = 0;
const numberValue = new Float64Array(1);

/**
 * Reads the JSON number at b[from] into numberValue[0] and numberEnd; false when the text there is
 * not one. `view` is a DataView of exactly `b`. With `toFloat32` false the value is the double JSON.parse gives; with it true, the
 * float32 value that storing JSON.parse's double into a Float32Array gives, ±Infinity when it
 * does not fit.
 */
function readNumber(b: Uint8Array, view: DataView, from: number, toFloat32: boolean): boolean {
  let i = from;
  const negative = b[i] === Byte.Minus;
  if (negative) i++;
  // Slow paths convert the text without its sign, which is applied once at the end.
  const start = i;
  let c = b[i]!;
  let m = 0;
  let digits = 0;
  let exponent = 0;
  if (c === Byte.Zero) {
    c = b[++i]!;
    if (isDigit(c)) return false;
  } else if (c >= Byte.One && c <= Byte.Nine) {
    do {
      if (digits < MAX_DIGITS) {
        m = m * 10 + (c - Byte.Zero);
        digits++;
      } else {
        exponent++;
      }
      c = b[++i]!;
    } while (isDigit(c));
  } else {
    return false;
  }
  if (c === Byte.Dot) {
    c = b[++i]!;
    if (!isDigit(c)) return false;
    // Zeros before the first significant digit only move the decimal point.
    if (m === 0) {
      while (c === Byte.Zero) {
        exponent--;
        c = b[++i]!;
      }
    }
    // Four digits per 32-bit load while four digits follow (SWAR), which halves the work of a
    // typical 17-digit fraction. Each byte less '0' is a digit; a byte outside '0'..'9' sets the
    // top bit of its lane in one of the two terms. Lower lanes are digits, so no borrow or carry
    // reaches the first bad lane.
    const end = b.length;
    while (digits <= MAX_DIGITS - 4 && i + 4 <= end) {
      const word = view.getUint32(i, true);
      const d = (word - 0x30303030) | 0;
      if ((((word + 0x46464646) | d) & 0x80808080) !== 0) break;
      const pairs = (d * 10 + (d >>> 8)) & 0x00ff00ff;
      m = m * 10_000 + ((pairs & 0xff) * 100 + (pairs >>> 16));
      digits += 4;
      exponent -= 4;
      i += 4;
    }
    c = b[i]!;
    while (isDigit(c)) {
      if (digits < MAX_DIGITS) {
        m = m * 10 + (c - Byte.Zero);
        digits++;
        exponent--;
      }
      c = b[++i]!;
    }
  }
  if (c === Byte.LowerE || c === Byte.UpperE) {
    c = b[++i]!;
    let sign = 1;
    if (c === Byte.Minus || c === Byte.Plus) {
      if (c === Byte.Minus) sign = -1;
      c = b[++i]!;
    }
    if (!isDigit(c)) return false;
    let e = 0;
    do {
      // Past the cap the exponent is only kept "out of range", which sends the text to Number().
      if (e < 100_000) e = e * 10 + (c - Byte.Zero);
      else e = Infinity;
      c = b[++i]!;
    } while (isDigit(c));
    exponent += sign * e;
  }
  numberEnd = i;
  let value = 0;
  if (m !== 0) {
    let known = false;
    if (exponent >= -22 && exponent <= 22) {
      const approx = exponent < 0 ? m / POW10[-exponent]! : m * POW10[exponent]!;
      // Clinger's fast path: an integer mantissa below 2^53 times an exact power of ten rounds once.
      // (At 2^53 itself the mantissa may already be 2^53 + 1 rounded.)
      if (m < EXACT_INT && digits < MAX_DIGITS) {
        value = approx;
        known = true;
      } else if (toFloat32) {
        value = float32Of(approx);
        known = value === value;
      }
    }
    if (!known) value = Number(latin1(b, start, i));
  }
  if (negative) value = -value;
  numberValue[0] = toFloat32 ? Math.fround(value) : value;
  return true;
}

function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
}

/**
 * The float32 nearest `approx`'s exact value, given that the exact value lies within
 * RELATIVE_ERROR of `approx`; NaN when that interval straddles a float32 rounding boundary
 * (NaN: about one number in ten million), where only an exact conversion can tell. Rounding is
 * monotonic, so if both ends of the interval round to the same float32, so does every value in
 * it: the exact value, and the double JSON.parse would produce from it.
 */
function float32Of(approx: number): number {
  const slack = approx * RELATIVE_ERROR;
  const f = Math.fround(approx);
  return Math.fround(approx - slack) === f && Math.fround(approx + slack) === f ? f : Number.NaN;
}

function grow(a: Float32Array): Float32Array {
  const bigger = new Float32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
