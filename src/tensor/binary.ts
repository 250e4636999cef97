import { endianness } from 'node:os';
import { ServingError } from '../errors/index.js';
import { ELEMENT_BYTES, elementCount, type Tensor, type TensorData } from './types.js';
import { allocateTensorData, decodeTensorHeader, formatShape, quoteName, type TensorLimits } from './header.js';

// The OIP binary format is little-endian, and typed arrays use the host's byte order; copying
// bytes straight into a typed array is only correct on a little-endian host.
if (endianness() !== 'LE') throw new Error('Skein needs a little-endian host for OIP binary tensors');

const BYTES_PREFIX = 4;
const MAX_BYTES_ELEMENT = 0xffffffff;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a tensor sent in the OIP binary format (§1.5): fixed-size types as packed little-endian
 * elements, BYTES as u32 length + bytes per element. `spec` comes from the JSON header and is
 * checked here like a JSON tensor's. The result never aliases `bytes`: the source may be an
 * unaligned slice of a pooled Buffer.
 */
export function decodeBinaryTensor(
  spec: { name?: unknown; datatype?: unknown; shape?: unknown },
  bytes: Uint8Array,
  limits: TensorLimits,
): Tensor {
  const h = decodeTensorHeader(spec, limits);
  const q = quoteName(h.name);
  if (h.datatype === 'BYTES') {
    return { name: h.name, datatype: h.datatype, shape: h.shape, data: decodeBytesElements(q, h.count, bytes) };
  }
  const expected = h.count * ELEMENT_BYTES[h.datatype];
  if (bytes.byteLength !== expected) {
    throw new ServingError(
      'BINARY_SIZE_MISMATCH',
      `input ${q}: ${h.datatype} with shape ${formatShape(h.shape)} needs ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const data = allocateTensorData(h.datatype, h.count) as Exclude<TensorData, string[]>;
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
  if (h.datatype === 'BOOL') {
    const i = (data as Uint8Array).findIndex((b) => b > 1);
    if (i >= 0) throw new ServingError('INVALID_DATA', `input ${q}: BOOL element ${i} must be the byte 0 or 1`);
  }
  return { name: h.name, datatype: h.datatype, shape: h.shape, data };
}

function decodeBytesElements(q: string, count: number, bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + BYTES_PREFIX > bytes.byteLength) {
      throw new ServingError('BINARY_SIZE_MISMATCH', `input ${q}: BYTES data ends before element ${i}'s 4-byte length`);
    }
    const length = view.getUint32(at, true);
    at += BYTES_PREFIX;
    if (at + length > bytes.byteLength) {
      throw new ServingError('BINARY_SIZE_MISMATCH', `input ${q}: BYTES element ${i} is longer than the bytes left`);
    }
    try {
      out[i] = utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw new ServingError('INVALID_DATA', `input ${q}: BYTES element ${i} is not valid UTF-8`);
    }
    at += length;
  }
  if (at !== bytes.byteLength) {
    throw new ServingError(
      'BINARY_SIZE_MISMATCH',
      `input ${q}: BYTES data has ${bytes.byteLength - at} bytes left over after ${count} elements`,
    );
  }
  return out;
}

function assertConsistent(t: Tensor): void {
  const n = elementCount(t.shape);
  if (t.data.length !== n) {
    throw new Error(`tensor '${t.name}' holds ${t.data.length} elements for shape ${formatShape(t.shape)}`);
  }
}

/** Bytes the binary form of `t` takes (the value of binary_data_size). */
export function binaryByteSize(t: Tensor): number {
  if (t.datatype !== 'BYTES') return t.data.length * ELEMENT_BYTES[t.datatype];
  let size = 0;
  for (const s of t.data as string[]) size += BYTES_PREFIX + Buffer.byteLength(s, 'utf8');
  return size;
}

/**
 * The binary form of `t`. For fixed-size types this is a view of the tensor's own memory (no
 * copy): the caller must not modify either while the other is in use.
 */
export function encodeBinaryTensor(t: Tensor): Uint8Array {
  assertConsistent(t);
  if (t.datatype !== 'BYTES') {
    const data = t.data as Exclude<TensorData, string[]>;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = Buffer.allocUnsafeSlow(binaryByteSize(t));
  let at = 0;
  for (const s of t.data as string[]) {
    const written = out.write(s, at + BYTES_PREFIX, 'utf8');
    if (written > MAX_BYTES_ELEMENT) throw new Error(`BYTES element of '${t.name}' exceeds 4 GiB`);
    out.writeUInt32LE(written, at);
    at += BYTES_PREFIX + written;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
