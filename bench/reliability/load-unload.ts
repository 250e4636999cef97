/**
 * Scenario 4: 1,000 load/unload cycles of a 10 MB model in explicit mode; memory must level off.
 *
 *   node --import tsx bench/reliability/load-unload.ts
 *   CYCLES=200 node --import tsx bench/reliability/load-unload.ts              # quick
 *   CYCLES=200 PLANT_LEAK_KB=512 node --import tsx bench/reliability/load-unload.ts   # must FAIL
 *
 * Each cycle loads the model (every instance, warmed up), unloads it (drained and released),
 * forces a full GC and samples RSS and heapUsed. PASS when, over the second half, max − mean of
 * each stays under 20 MB. PLANT_LEAK_KB keeps that many KB of JS arrays per cycle, to show the
 * bench catches a leak. Every 100 cycles one request is served, so the loads are real.
 */
import { startTestServer, tempRepo } from '../../test/helpers/server.js';
import { writeModel } from '../../test/helpers/models.js';
import { ensureExposedGc, forcedGc } from './lib/expose-gc.js';
import { MLP_SIDE, mlpModel } from './lib/mlp.js';
import { Report, log } from './lib/report.js';
import { envNumber, fixed, mb } from './lib/stats.js';

const CYCLES = Math.round(envNumber('CYCLES', 1000));
const PLANT_LEAK_KB = process.env.PLANT_LEAK_KB ? envNumber('PLANT_LEAK_KB', 1) : 0;
const SPREAD_BOUND_MB = 20;
const MODEL = 'mlp';

interface Sample {
  rssBytes: number;
  heapUsedBytes: number;
}

function secondHalfSpreadMb(values: readonly number[]): { maxMinusMeanMb: number; meanMb: number; maxMb: number } {
  const half = values.slice(Math.floor(values.length / 2));
  const mean = half.reduce((a, b) => a + b, 0) / half.length;
  const max = Math.max(...half);
  return { maxMinusMeanMb: mb(max - mean), meanMb: mb(mean), maxMb: mb(max) };
}

/** Least-squares slope over the second half, in MB per 100 cycles: a leak shows as a steady climb. */
function secondHalfSlopeMbPer100(values: readonly number[]): number {
  const half = values.slice(Math.floor(values.length / 2));
  const n = half.length;
  const meanX = (n - 1) / 2;
  const meanY = half.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  half.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : mb((num / den) * 100);
}

async function inferOnce(url: string): Promise<number> {
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, MLP_SIDE], data: new Array<number>(MLP_SIDE).fill(0.01) }] });
  const res = await fetch(`${url}/v2/models/${MODEL}/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  await res.arrayBuffer();
  return res.status;
}

async function main(): Promise<void> {
  const report = new Report(`scenario 4: ${CYCLES} load/unload cycles of a 10 MB model${PLANT_LEAK_KB ? ` (planted leak ${PLANT_LEAK_KB} KB/cycle)` : ''}`);
  const gc = forcedGc()!;
  const repo = await tempRepo('skein-load-unload-');
  const bytes = mlpModel();
  await writeModel(repo, MODEL, 1, bytes);
  log(`model file ${fixed(mb(bytes.byteLength))} MB`);
  const server = await startTestServer(repo, { modelControlMode: 'explicit', insecureModelControl: true });
  const samples: Sample[] = [];
  const planted: number[][] = [];
  const failedInfers: number[] = [];
  const cycleMs: number[] = [];
  try {
    for (let i = 1; i <= CYCLES; i++) {
      const t0 = performance.now();
      await server.service.loadModel(MODEL);
      if (i % 100 === 1) {
        const status = await inferOnce(server.url);
        if (status !== 200) failedInfers.push(status);
      }
      await server.service.unloadModel(MODEL);
      cycleMs.push(performance.now() - t0);
      if (PLANT_LEAK_KB > 0) planted.push(new Array<number>(PLANT_LEAK_KB * 128).fill(i));
      gc();
      const m = process.memoryUsage();
      samples.push({ rssBytes: m.rss, heapUsedBytes: m.heapUsed });
      if (i % Math.max(1, Math.floor(CYCLES / 10)) === 0) {
        const last = samples.slice(-Math.max(1, Math.floor(CYCLES / 10)));
        log(`cycle ${String(i).padStart(5)}: RSS ${fixed(mb(m.rss))} MB (range ${fixed(mb(Math.min(...last.map((s) => s.rssBytes))))}–${fixed(mb(Math.max(...last.map((s) => s.rssBytes))))}), heapUsed ${fixed(mb(m.heapUsed))} MB, ${fixed(cycleMs.slice(-last.length).reduce((a, b) => a + b, 0) / last.length)} ms/cycle`);
      }
    }
  } finally {
    await server.close();
  }
  const rss = secondHalfSpreadMb(samples.map((s) => s.rssBytes));
  const heap = secondHalfSpreadMb(samples.map((s) => s.heapUsedBytes));
  const totalS = cycleMs.reduce((a, b) => a + b, 0) / 1000;
  report.check('requests served between cycles', failedInfers.length === 0, failedInfers.length ? `statuses ${failedInfers.join(',')}` : `${Math.ceil(CYCLES / 100)} of ${Math.ceil(CYCLES / 100)} 200`);
  report.check(`RSS levels off (second half max − mean < ${SPREAD_BOUND_MB} MB)`, rss.maxMinusMeanMb < SPREAD_BOUND_MB,
    `${fixed(rss.maxMinusMeanMb)} MB (mean ${fixed(rss.meanMb)} MB, max ${fixed(rss.maxMb)} MB; first sample ${fixed(mb(samples[0]!.rssBytes))} MB, last ${fixed(mb(samples.at(-1)!.rssBytes))} MB)`);
  report.check(`heapUsed levels off (second half max − mean < ${SPREAD_BOUND_MB} MB)`, heap.maxMinusMeanMb < SPREAD_BOUND_MB,
    `${fixed(heap.maxMinusMeanMb)} MB (mean ${fixed(heap.meanMb)} MB, max ${fixed(heap.maxMb)} MB)`);
  log(`second-half trend: RSS ${fixed(secondHalfSlopeMbPer100(samples.map((s) => s.rssBytes)), 2)} MB, heapUsed ${fixed(secondHalfSlopeMbPer100(samples.map((s) => s.heapUsedBytes)), 2)} MB per 100 cycles`);
  log(`${CYCLES} cycles in ${fixed(totalS)} s (${fixed((totalS * 1000) / CYCLES)} ms per load+unload)`);
  report.figure('rssSpreadMb', rss.maxMinusMeanMb);
  report.figure('heapSpreadMb', heap.maxMinusMeanMb);
  report.figure('cycleMs', (totalS * 1000) / CYCLES);
  report.finish();
}

if (await ensureExposedGc(import.meta.url)) await main();
