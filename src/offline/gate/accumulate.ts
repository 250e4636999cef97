import type { ChunkRow } from '../types.js';
import type { GateConfig, OutputStats } from './types.js';

/**
 * A one-pass reducer over a run's rows: counts non-finite and out-of-range values, keeps a
 * bounded sample per output, and picks out the golden keys. Memory is bounded by
 * maxSampleValues per output and the golden file, however large the run.
 */
export interface Accumulator {
  rowsScanned: number;
  outputs: Record<string, OutputStats>;
  golden: Record<string, ChunkRow['value']>;
}

export function createAccumulator(): Accumulator {
  return { rowsScanned: 0, outputs: {}, golden: {} };
}

function statsFor(acc: Accumulator, output: string, rules: number): OutputStats {
  let s = acc.outputs[output];
  if (!s) {
    s = { values: 0, nonFinite: 0, min: Infinity, max: -Infinity, sample: [], below: new Array<number>(rules).fill(0), above: new Array<number>(rules).fill(0) };
    acc.outputs[output] = s;
  }
  return s;
}

export function accumulate(acc: Accumulator, row: ChunkRow, config: GateConfig, goldenKeys: ReadonlySet<string>): void {
  acc.rowsScanned++;
  if (goldenKeys.has(row.key)) acc.golden[row.key] = row.value;
  for (const [output, data] of Object.entries(row.value)) {
    // String outputs (labels, names) have no numeric distribution to check.
    if (data.length > 0 && typeof data[0] === 'string') continue;
    const s = statsFor(acc, output, config.ranges.length);
    for (const v of data as unknown[]) {
      s.values++;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        s.nonFinite++;
        continue;
      }
      if (v < s.min) s.min = v;
      if (v > s.max) s.max = v;
      if (s.sample.length < config.maxSampleValues) s.sample.push(v);
      for (let r = 0; r < config.ranges.length; r++) {
        const rule = config.ranges[r]!;
        if (rule.output !== output) continue;
        if (v < rule.min) s.below[r]!++;
        else if (v > rule.max) s.above[r]!++;
      }
    }
  }
}

/** Numeric samples of a baseline row stream (a published run or a reference file). */
export function sampleValues(samples: Record<string, number[]>, value: ChunkRow['value'], maxSampleValues: number): void {
  for (const [output, data] of Object.entries(value)) {
    const s = (samples[output] ??= []);
    for (const v of data as unknown[]) {
      if (typeof v === 'number' && Number.isFinite(v) && s.length < maxSampleValues) s.push(v);
    }
  }
}
