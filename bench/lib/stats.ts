/**
 * Reads Skein's per-version statistics (the Triton statistics extension) and turns two
 * snapshots into what one load run did: executions, rows, and how often each batch size ran.
 */
import type { ModelStatistics } from '../../src/serving/index.js';

export interface BatchReport {
  executions: number;
  rows: number;
  /** rows / executions. */
  meanBatch: number;
  /** Executions per batch size during the run, largest counts first. */
  sizes: { batchSize: number; executions: number }[];
  /** Mean time inside session.run per execution (worker-side), µs. */
  meanInferUs: number;
  /** Mean time a request waited in the queue, µs. */
  meanQueueUs: number;
}

export async function readStats(baseUrl: string, model: string, version: number): Promise<ModelStatistics> {
  const res = await fetch(`${baseUrl}/v2/models/${model}/versions/${version}/stats`);
  if (!res.ok) throw new Error(`stats answered HTTP ${res.status}`);
  const body = (await res.json()) as { model_stats: ModelStatistics[] };
  const stats = body.model_stats[0];
  if (!stats) throw new Error('stats listed no version');
  return stats;
}

function perSize(s: ModelStatistics): Map<number, number> {
  return new Map(s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count]));
}

export function batchDelta(before: ModelStatistics, after: ModelStatistics): BatchReport {
  const executions = after.execution_count - before.execution_count;
  const rows = after.inference_count - before.inference_count;
  const was = perSize(before);
  const sizes = [...perSize(after)]
    .map(([batchSize, count]) => ({ batchSize, executions: count - (was.get(batchSize) ?? 0) }))
    .filter((s) => s.executions > 0)
    .sort((a, b) => b.executions - a.executions || a.batchSize - b.batchSize);
  const inferNs = after.inference_stats.compute_infer.ns - before.inference_stats.compute_infer.ns;
  const queue = after.inference_stats.queue;
  const queueCount = queue.count - before.inference_stats.queue.count;
  const queueNs = queue.ns - before.inference_stats.queue.ns;
  return {
    executions,
    rows,
    meanBatch: executions > 0 ? rows / executions : 0,
    sizes,
    meanInferUs: executions > 0 ? inferNs / executions / 1000 : 0,
    meanQueueUs: queueCount > 0 ? queueNs / queueCount / 1000 : 0,
  };
}

/** Several runs' batch reports as one: counts added, means weighted by executions. */
export function mergeBatches(reports: readonly BatchReport[]): BatchReport {
  const executions = reports.reduce((a, r) => a + r.executions, 0);
  const rows = reports.reduce((a, r) => a + r.rows, 0);
  const bySize = new Map<number, number>();
  for (const r of reports) for (const s of r.sizes) bySize.set(s.batchSize, (bySize.get(s.batchSize) ?? 0) + s.executions);
  const weighted = (f: (r: BatchReport) => number): number =>
    executions > 0 ? reports.reduce((a, r) => a + f(r) * r.executions, 0) / executions : 0;
  return {
    executions,
    rows,
    meanBatch: executions > 0 ? rows / executions : 0,
    sizes: [...bySize]
      .map(([batchSize, n]) => ({ batchSize, executions: n }))
      .sort((a, b) => b.executions - a.executions || a.batchSize - b.batchSize),
    meanInferUs: weighted((r) => r.meanInferUs),
    meanQueueUs: weighted((r) => r.meanQueueUs),
  };
}
