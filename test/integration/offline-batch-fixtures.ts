/**
 * Inputs for the offline batch tests: yarnit user × product rows (CSV, JSONL) computed with the
 * example's own feature code, and a minimal Parquet writer (no Parquet writer is installed:
 * PLAIN encoding, uncompressed, one row group, REQUIRED columns), enough for hyparquet to read.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { PURCHASE_FEATURES } from '../../examples/yarnit/features.js';
import { pairsCsv, PAIRS_MAPPING, yarnitPairs, type YarnitPair } from '../../examples/yarnit/pairs.js';
import type { ChunkRow, PredictionStore } from '../../src/offline/types.js';

export type YarnitRow = YarnitPair;

/** Every user × the `topProducts` best-selling products (the example's own key space). */
export const yarnitRows = yarnitPairs;

export const FEATURE_COLUMNS: readonly string[] = PURCHASE_FEATURES;
export const YARNIT_MAPPING = PAIRS_MAPPING;

export async function writeCsv(path: string, rows: readonly YarnitRow[]): Promise<void> {
  await writeFile(path, pairsCsv(rows));
}

/** JSONL with the features as one JSON-array column named after the model input. */
export async function writeJsonl(path: string, rows: readonly YarnitRow[]): Promise<void> {
  await writeFile(path, rows.map((r) => JSON.stringify({ pair: r.key, features: r.features })).join('\n') + '\n');
}

// --- a minimal Parquet writer (Thrift compact protocol) ---

class Compact {
  private bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.bytes.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
  zigzag(n: number | bigint): void {
    const b = BigInt(n);
    this.varint(b >= 0n ? b << 1n : ((-b) << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void { this.field(id, 5); this.zigzag(v); }
  i64(id: number, v: number): void { this.field(id, 6); this.zigzag(v); }
  binary(id: number, s: string): void { this.field(id, 8); this.rawBinary(s); }
  rawBinary(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
  struct(id: number, body: () => void): void { this.field(id, 12); this.open(body); }
  open(body: () => void): void {
    this.last.push(0);
    body();
    this.bytes.push(0);
    this.last.pop();
  }
  list(id: number, elemType: number, items: readonly (() => void)[]): void {
    this.field(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(items.length));
    }
    for (const item of items) item();
  }
  done(): Buffer { return Buffer.from(this.bytes); }
}

export interface ParquetColumn {
  name: string;
  kind: 'string' | 'double';
  values: readonly (string | number)[];
}

export function parquetBytes(columns: readonly ParquetColumn[]): Buffer {
  const rows = columns[0]?.values.length ?? 0;
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: { col: ParquetColumn; offset: number; size: number }[] = [];
  for (const col of columns) {
    const data = col.kind === 'double'
      ? Buffer.concat(col.values.map((v) => { const b = Buffer.alloc(8); b.writeDoubleLE(v as number); return b; }))
      : Buffer.concat(col.values.map((v) => { const s = Buffer.from(String(v)); const n = Buffer.alloc(4); n.writeUInt32LE(s.length); return Buffer.concat([n, s]); }));
    const header = new Compact();
    header.open(() => {
      header.i32(1, 0);
      header.i32(2, data.length);
      header.i32(3, data.length);
      header.struct(5, () => { header.i32(1, rows); header.i32(2, 0); header.i32(3, 3); header.i32(4, 3); });
    });
    const page = Buffer.concat([header.done(), data]);
    chunks.push({ col, offset, size: page.length });
    parts.push(page);
    offset += page.length;
  }
  const meta = new Compact();
  meta.open(() => {
    meta.i32(1, 1);
    meta.list(2, 12, [
      () => meta.open(() => { meta.binary(4, 'schema'); meta.i32(5, columns.length); }),
      ...columns.map((c) => () => meta.open(() => {
        meta.i32(1, c.kind === 'double' ? 5 : 6);
        meta.i32(3, 0);
        meta.binary(4, c.name);
        if (c.kind === 'string') meta.i32(6, 0);
      })),
    ]);
    meta.i64(3, rows);
    meta.list(4, 12, [() => meta.open(() => {
      meta.list(1, 12, chunks.map((ch) => () => meta.open(() => {
        meta.i64(2, ch.offset);
        meta.struct(3, () => {
          meta.i32(1, ch.col.kind === 'double' ? 5 : 6);
          meta.list(2, 5, [() => meta.zigzag(0)]);
          meta.list(3, 8, [() => meta.rawBinary(ch.col.name)]);
          meta.i32(4, 0);
          meta.i64(5, rows);
          meta.i64(6, ch.size);
          meta.i64(7, ch.size);
          meta.i64(9, ch.offset);
        });
      })));
      meta.i64(2, offset - 4);
      meta.i64(3, rows);
    })]);
  });
  const footer = meta.done();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  return Buffer.concat([...parts, footer, len, Buffer.from('PAR1')]);
}

export async function writeParquet(path: string, rows: readonly YarnitRow[]): Promise<void> {
  await writeFile(path, parquetBytes([
    { name: 'pair', kind: 'string', values: rows.map((r) => r.key) },
    ...FEATURE_COLUMNS.map((name, j) => ({ name, kind: 'double' as const, values: rows.map((r) => r.features[j]!) })),
  ]));
}

export { skein, type CliResult } from '../helpers/cli.js';

export async function scanAll(store: PredictionStore, set: string, runId: string): Promise<Map<string, ChunkRow['value']>> {
  const out = new Map<string, ChunkRow['value']>();
  for await (const row of store.scanValues(set, runId, 1_000_000)) {
    assert.ok(!out.has(row.key), 'a key appears twice in the run');
    out.set(row.key, row.value);
  }
  return out;
}

