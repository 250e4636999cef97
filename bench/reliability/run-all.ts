/**
 * Runs the reliability benches one after another, each in its own process, and prints a summary.
 *
 *   node --import tsx bench/reliability/run-all.ts          # quick settings, about 2–3 minutes
 *   FULL=1 node --import tsx bench/reliability/run-all.ts   # the full figures, about 4–5 minutes
 *
 * Any variable already set in the environment (SWAPS, CYCLES, ...) wins over the quick default.
 * The cap found by the swaps bench is passed to the drain bench, so it is measured once.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { BenchResult } from './lib/report.js';

interface Bench {
  file: string;
  quick: Record<string, string>;
}

const BENCHES: readonly Bench[] = [
  { file: 'swaps.ts', quick: { SWAPS: '25', DURATION_S: '30', STEADY_S: '5', RAMP_STEP_MS: '2000' } },
  { file: 'load-unload.ts', quick: { CYCLES: '400' } },
  { file: 'drain.ts', quick: { LOAD_S: '4' } },
  { file: 'deadlines.ts', quick: { WORK_S: '3', DEADLINE_REQUESTS: '20' } },
];
/** Each bench stops by itself; this is only a backstop against a hang. */
const BENCH_LIMIT_MS = 10 * 60_000;

function runBench(bench: Bench, extraEnv: Record<string, string>): Promise<BenchResult | undefined> {
  const full = process.env.FULL === '1';
  const env = { ...(full ? {} : bench.quick), ...extraEnv, ...process.env };
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(bench.file, import.meta.url).pathname], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), BENCH_LIMIT_MS);
  let result: BenchResult | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as BenchResult;
    else console.log(line);
  });
  return new Promise((resolve) => {
    child.once('close', () => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

const results: { file: string; result: BenchResult | undefined }[] = [];
const extraEnv: Record<string, string> = {};
for (const bench of BENCHES) {
  const result = await runBench(bench, extraEnv);
  results.push({ file: bench.file, result });
  const cap = result?.figures.capRps;
  if (cap !== undefined && cap > 0 && extraEnv.CAP_RPS === undefined) extraEnv.CAP_RPS = String(cap);
  console.log('');
}

console.log('== summary');
console.log(`${'bench'.padEnd(16)}${'verdict'.padEnd(9)}${'seconds'.padEnd(9)}criteria`);
for (const { file, result } of results) {
  if (!result) {
    console.log(`${file.padEnd(16)}${'CRASHED'.padEnd(9)}${'-'.padEnd(9)}no RESULT line (see the output above)`);
    continue;
  }
  const passed = result.criteria.filter((c) => c.pass).length;
  const failed = result.criteria.filter((c) => !c.pass).map((c) => c.name);
  console.log(`${file.padEnd(16)}${(result.pass ? 'PASS' : 'FAIL').padEnd(9)}${String(result.seconds).padEnd(9)}${passed}/${result.criteria.length}${failed.length ? `; failed: ${failed.join('; ')}` : ''}`);
}
process.exitCode = results.every((r) => r.result?.pass) ? 0 : 1;
