/**
 * The ceiling: how many rows/s onnxruntime-node computes for the model in this process, with
 * nothing else around it (no HTTP, no JSON, no worker hop), at the batch sizes Skein formed.
 * The session uses Skein's worker options (1 intra-op thread, sequential), so a figure is what
 * one Skein instance could reach; Skein runs one instance per core.
 */
import ort from 'onnxruntime-node';
import type { BenchModel } from './model.js';
import { seededRandom } from './model.js';

export interface CeilingRow {
  batchSize: number;
  rowsPerS: number;
  /** Median time of one session.run, µs. */
  runP50Us: number;
}

function inputOf(model: BenchModel, rows: number): ort.Tensor {
  const random = seededRandom(rows);
  const data = Float32Array.from({ length: rows * model.features }, () => random() * 2 - 1);
  return new ort.Tensor('float32', data, [rows, model.features]);
}

async function measure(session: ort.InferenceSession, model: BenchModel, batchSize: number, seconds: number): Promise<CeilingRow> {
  const feeds = { [model.inputName]: inputOf(model, batchSize) };
  for (let i = 0; i < 20; i++) await session.run(feeds);
  const times: number[] = [];
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    await session.run(feeds);
    const t = performance.now();
    times.push(t - now);
    now = t;
  }
  times.sort((a, b) => a - b);
  const runs = times.length;
  return {
    batchSize,
    rowsPerS: (runs * batchSize) / ((now - start) / 1000),
    runP50Us: (times[Math.floor(runs / 2)] ?? 0) * 1000,
  };
}

export async function measureCeiling(model: BenchModel, batchSizes: readonly number[], secondsEach: number): Promise<CeilingRow[]> {
  const session = await ort.InferenceSession.create(model.filePath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  try {
    const rows: CeilingRow[] = [];
    for (const b of batchSizes) rows.push(await measure(session, model, b, secondsEach));
    return rows;
  } finally {
    await session.release();
  }
}
