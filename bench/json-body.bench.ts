/**
 * JSON body bench: Skein's infer-body reader (src/server/http/json-body.ts) against what it
 * replaced, JSON.parse of the decoded body plus the copy of `data` into a Float32Array, on the serve
 * bench's OIP body (FP32, 256 values per row) at several row counts. Same process, alternating, so
 * the ratio is the figure to read.
 *
 *   node --import tsx bench/json-body.bench.ts
 *
 * Env: BENCH_ROWS (1,16,64), BENCH_ROUNDS (5), BENCH_TARGET_MS (200: time per measurement).
 */
import { parseJsonBody } from '../src/server/http/json-body.js';
import { inferBody, prepareModel } from './lib/model.js';
import { rm } from 'node:fs/promises';

const MAX_DEPTH = 32;

function envList(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback).split(',').map(Number);
}

/** Mean µs per call of `fn`, over about `targetMs` after a warmup of the same length. */
function timeUs(fn: () => unknown, targetMs: number): number {
  const deadline = (start: bigint): bigint => start + BigInt(Math.round(targetMs * 1e6));
  for (let end = deadline(process.hrtime.bigint()); process.hrtime.bigint() < end;) fn();
  let calls = 0;
  const t0 = process.hrtime.bigint();
  const end = deadline(t0);
  let now = t0;
  while (now < end) {
    for (let k = 0; k < 16; k++) fn();
    calls += 16;
    now = process.hrtime.bigint();
  }
  return Number(now - t0) / calls / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const rowsList = envList('BENCH_ROWS', '1,16,64');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const targetMs = Number(process.env.BENCH_TARGET_MS ?? 200);
  const model = await prepareModel('mlp_small');
  try {
    process.stdout.write('rows | body KB | JSON.parse + copy µs | Skein reader µs | speed-up\n-----|---------|----------------------|-----------------|---------\n');
    for (const rows of rowsList) {
      const body = Buffer.from(inferBody(model, rows));
      const viaJsonParse = (): Float32Array => {
        const doc = JSON.parse(body.toString('utf8')) as { inputs: { data: number[] }[] };
        return Float32Array.from(doc.inputs[0]!.data);
      };
      const viaReader = (): unknown => parseJsonBody(body, MAX_DEPTH);
      // Same result, or the comparison means nothing.
      const a = viaJsonParse();
      const b = (viaReader() as { inputs: { data: Float32Array }[] }).inputs[0]!.data;
      if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) throw new Error(`the reader disagrees with JSON.parse at ${rows} rows`);
      const baseline: number[] = [];
      const reader: number[] = [];
      for (let r = 0; r < rounds; r++) {
        baseline.push(timeUs(viaJsonParse, targetMs));
        reader.push(timeUs(viaReader, targetMs));
      }
      const [p, q] = [median(baseline), median(reader)];
      process.stdout.write(`${String(rows).padStart(4)} | ${(body.byteLength / 1024).toFixed(1).padStart(7)} | ${p.toFixed(1).padStart(20)} | ${q.toFixed(1).padStart(15)} | ${(p / q).toFixed(2).padStart(7)}x\n`);
    }
  } finally {
    await rm(model.repoDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`json-body bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
