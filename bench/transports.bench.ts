/**
 * Transports bench: the same Skein process answered over gRPC, REST JSON and REST binary, driven
 * through the typed clients users call (createGrpcClient, createRestClient), on the yarnit example
 * models (purchase FP32 [1,16], query_category BYTES [1,1]) and the bench's mlp_small (FP32
 * [1,256]), at concurrency 1 and 64. Closed loop: N callers each send a request, await the answer
 * and send the next, for a fixed time. Prints rps, p50 and p99 per run and ratios to REST JSON.
 *
 *   node --import tsx bench/transports.bench.ts
 *
 * Env: BENCH_DURATION_S (5), BENCH_WARMUP_S (1), BENCH_CONCURRENCY (1,64).
 * The yarnit models come from examples/yarnit/models when built (npm run build && npm run
 * examples); otherwise they are trained into the temporary repository (a few seconds).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildRepository, repositoryComplete } from '../examples/yarnit/repository.js';
import { createGrpcClient, createRestClient, type InferenceClient, type InputTensor } from '../src/client/index.js';
import { startServerChild, type ServerChild } from './lib/children.js';
import { busyCores, readCpuTicks } from './lib/machine-load.js';
import { mlpSmallModel, seededRandom } from './lib/model.js';
import { freePort } from './lib/processes.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const EXAMPLES = here('../examples/yarnit/models');
/** Other processes above this many cores during a run make its figures suspect. */
const NOISE_CORES = 0.25;

type Transport = 'REST JSON' | 'REST binary' | 'gRPC';
const TRANSPORTS: readonly Transport[] = ['REST JSON', 'REST binary', 'gRPC'];

interface Workload {
  model: string;
  inputs: InputTensor[];
}

interface Run {
  model: string;
  transport: Transport;
  concurrency: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU of the server process (all threads) and of this process (the clients), in cores. */
  serverCores: number;
  clientCores: number;
  otherCores: number | undefined;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

function envConcurrencies(): number[] {
  const list = (process.env.BENCH_CONCURRENCY ?? '1,64').split(',').map(Number);
  if (list.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. 1,64');
  return list;
}

function floats(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
}

const WORKLOADS: readonly Workload[] = [
  { model: 'purchase', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 16], data: floats(16, 11) }] },
  { model: 'query_category', inputs: [{ name: 'query', datatype: 'BYTES', shape: [1, 1], data: ['chunky merino wool yarn in forest green'] }] },
  { model: 'mlp_small', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: floats(256, 13) }] },
];

/** The yarnit models (copied when built, else trained here) plus mlp_small, in a temporary repository. */
async function prepareRepository(): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), 'skein-transports-'));
  if (await repositoryComplete(EXAMPLES)) await cp(EXAMPLES, repo, { recursive: true });
  else await buildRepository(repo, 1);
  await mkdir(join(repo, 'mlp_small', '1'), { recursive: true });
  await writeFile(join(repo, 'mlp_small', 'config.yaml'), 'maxBatchSize: 64\n');
  await writeFile(join(repo, 'mlp_small', '1', 'model.onnx'), mlpSmallModel());
  return repo;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `concurrency` callers in a closed loop until `durationS` has passed; latencies of successes only. */
async function closedLoop(client: InferenceClient, w: Workload, concurrency: number, durationS: number): Promise<{ latenciesMs: number[]; errors: number; elapsedS: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + durationS * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await client.infer(w.model, { inputs: w.inputs });
        latenciesMs.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { latenciesMs, errors, elapsedS: (performance.now() - start) / 1000 };
}

async function measure(server: ServerChild, client: InferenceClient, w: Workload, transport: Transport, c: number, durationS: number, warmupS: number): Promise<Run> {
  if (warmupS > 0) await closedLoop(client, w, c, warmupS);
  await server.resetProbe();
  const probeBefore = await server.readProbe();
  const ownBefore = process.cpuUsage();
  const ticksBefore = readCpuTicks();
  const { latenciesMs, errors, elapsedS } = await closedLoop(client, w, c, durationS);
  const ticksAfter = readCpuTicks();
  const own = process.cpuUsage(ownBefore);
  const probeAfter = await server.readProbe();
  const cores = (ms: number) => ms / 1000 / elapsedS;
  const serverCores = cores(probeAfter.cpuUserMs + probeAfter.cpuSystemMs - probeBefore.cpuUserMs - probeBefore.cpuSystemMs);
  const machine = busyCores(ticksBefore, ticksAfter);
  const clientCores = cores((own.user + own.system) / 1000);
  const otherCores = machine === undefined ? undefined : Math.max(0, machine - serverCores - clientCores);
  const sorted = latenciesMs.sort((a, b) => a - b);
  return {
    model: w.model, transport, concurrency: c, errors, serverCores, clientCores, otherCores,
    rps: sorted.length / elapsedS, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
  };
}

function formatTable(runs: Run[]): string {
  const header = ['model', 'transport', 'c', 'rps', 'p50 ms', 'p99 ms', 'rps vs JSON', 'p99 vs JSON', 'errors', 'server cores', 'client cores', 'other cores'];
  const rows = runs.map((r) => {
    const json = runs.find((j) => j.model === r.model && j.concurrency === r.concurrency && j.transport === 'REST JSON')!;
    return [
      r.model, r.transport, String(r.concurrency), r.rps.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2),
      `${(r.rps / json.rps).toFixed(2)}x`, `${(r.p99Ms / json.p99Ms).toFixed(2)}x`, String(r.errors), r.serverCores.toFixed(2), r.clientCores.toFixed(2),
      r.otherCores === undefined ? '' : r.otherCores.toFixed(2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const durationS = envNumber('BENCH_DURATION_S', 5);
  const warmupS = envNumber('BENCH_WARMUP_S', 1);
  const concurrencies = envConcurrencies();
  const repo = await prepareRepository();
  const grpcPort = await freePort();
  const server = await startServerChild('skein', here('./skein-server.ts'), [repo, '--grpc-port', String(grpcPort)]);
  const clients: Record<Transport, InferenceClient> = {
    'REST JSON': createRestClient({ url: server.url, encoding: 'json' }),
    'REST binary': createRestClient({ url: server.url, encoding: 'binary' }),
    gRPC: createGrpcClient({ address: `127.0.0.1:${grpcPort}` }),
  };
  const runs: Run[] = [];
  try {
    for (const w of WORKLOADS) {
      if (!(await clients.gRPC.modelReady(w.model))) throw new Error(`model ${w.model} is not ready`);
      for (const c of concurrencies) {
        for (const transport of TRANSPORTS) {
          const run = await measure(server, clients[transport], w, transport, c, durationS, warmupS);
          runs.push(run);
          process.stderr.write(`${w.model} ${transport} c=${c}: ${run.rps.toFixed(0)} rps, p99 ${run.p99Ms.toFixed(2)} ms\n`);
        }
      }
    }
  } finally {
    await Promise.all(Object.values(clients).map((client) => client.close()));
    await server.stop();
    await rm(repo, { recursive: true, force: true });
  }
  console.log(`\nSkein transports, ${durationS} s per run after ${warmupS} s warmup, closed loop through the typed clients\n`);
  console.log(formatTable(runs));
  const noisy = runs.filter((r) => (r.otherCores ?? 0) > NOISE_CORES);
  if (noisy.length > 0) {
    console.log(`\nWARNING: other processes used more than ${NOISE_CORES} cores during ${noisy.length} of ${runs.length} runs; figures are noisy.`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`transports bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
