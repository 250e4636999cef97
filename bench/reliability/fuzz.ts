/**
 * Scenario 9, full count: generated near-valid requests (fast-check) over REST JSON, the REST
 * binary extension and gRPC ModelInfer, against a real server (in this process).
 *
 *   node --import tsx bench/reliability/fuzz.ts                 # 100k requests, about 1–2 minutes
 *   RUNS=5000 SEED=7 node --import tsx bench/reliability/fuzz.ts # quick
 *
 * Pass: 0 crashes, 0 5xx other than shedding (QUEUE_FULL; DEADLINE_EXCEEDED only for requests
 * that set their own tiny timeout), every failure `{error, code}` with a code from ERROR_TABLE and
 * that code's status (gRPC: the code's status and `skein-error-code`), live stays 200 and a
 * valid request still succeeds at the end. Requests are generated in chunks of CHUNK from SEED,
 * so a failing request can be regenerated. Two thirds go over REST (half JSON, half binary), one
 * third over gRPC.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { ERROR_TABLE, GRPC_STATUS_NUMBER } from '../../src/errors/index.js';
import { connectGrpc, failureOf } from '../../test/helpers/grpc-client.js';
import { contractBreach, grpcRequest, restRequest, writeFuzzModels, type GrpcFuzzRequest, type WireRequest } from '../../test/helpers/fuzz-requests.js';
import { postJson, startTestServer, tempRepo } from '../../test/helpers/server.js';
import { Report, log } from './lib/report.js';

const RUNS = Number(process.env.RUNS ?? 100_000);
const SEED = Number(process.env.SEED ?? 9);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const CHUNK = 1_000;
const MAX_EXAMPLES = 5;

/** Why a gRPC outcome breaks the contract, or undefined. */
function grpcBreach(status: number, skeinCode: string | undefined): string | undefined {
  if (status === 0) return undefined;
  if (skeinCode === undefined || !Object.hasOwn(ERROR_TABLE, skeinCode)) return `status ${status} without a Skein code`;
  const row = ERROR_TABLE[skeinCode as keyof typeof ERROR_TABLE];
  if (GRPC_STATUS_NUMBER[row.grpc] !== status) return `${skeinCode} sent with status ${status}`;
  if (row.http >= 500 && skeinCode !== 'QUEUE_FULL') return `server error ${skeinCode}`;
  return undefined;
}

const report = new Report('scenario 9: 100k near-valid requests over REST JSON, REST binary and gRPC');
const repo = await tempRepo();
await writeFuzzModels(repo);
const server = await startTestServer(repo, { workers: 2 });
const grpc = connectGrpc(server.grpcPort);
const outcomes = new Map<string, number>();
const breaches: string[] = [];
let breachCount = 0;
let transportErrors = 0;
const count = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
const rssStartMb = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();

async function one(i: number, rest: WireRequest | undefined, g: GrpcFuzzRequest | undefined): Promise<void> {
  try {
    if (rest) {
      const res = await request(`${server.url}${rest.path}`, { method: 'POST', headers: rest.headers, body: rest.body });
      const text = await res.body.text();
      const kind = rest.mutation.startsWith('binary') ? 'binary' : 'json';
      count(`${kind} ${res.statusCode}${res.statusCode >= 300 ? ` ${safeCode(text)}` : ''}`);
      const why = contractBreach({ status: res.statusCode, text }, rest.mutation);
      if (why) note(`#${i} ${rest.mutation}: ${why}`);
    } else if (g) {
      let status = 0;
      let code: string | undefined;
      try {
        await grpc.call('ModelInfer', g.request);
      } catch (err) {
        ({ code: status, skeinCode: code } = failureOf(err));
      }
      count(`grpc ${status}${code ? ` ${code}` : ''}`);
      const why = grpcBreach(status, code);
      if (why) note(`#${i} ${g.mutation}: ${why}`);
    }
  } catch (err) {
    transportErrors++;
    note(`#${i}: transport error ${(err as Error).message}`);
  }
}

function safeCode(text: string): string {
  try {
    return String((JSON.parse(text) as { code?: unknown }).code);
  } catch {
    return 'unparsable';
  }
}

function note(line: string): void {
  breachCount++;
  if (breaches.length < MAX_EXAMPLES) breaches.push(line);
}

for (let done = 0, chunk = 0; done < RUNS; chunk++) {
  const n = Math.min(CHUNK, RUNS - done);
  const grpcN = Math.floor(n / 3);
  const rests = fc.sample(restRequest, { numRuns: n - grpcN, seed: SEED * 100_003 + chunk });
  const grpcs = fc.sample(grpcRequest, { numRuns: grpcN, seed: SEED * 100_019 + chunk });
  const jobs = [...rests.map((r) => [r, undefined] as const), ...grpcs.map((g) => [undefined, g] as const)];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < jobs.length) {
      const at = next++;
      const [r, g] = jobs[at]!;
      await one(done + at, r, g);
    }
  }));
  done += n;
  if (chunk % 20 === 19) log(`${done} requests, ${breachCount} breaches, ${Math.round(done / ((performance.now() - started) / 1000))} req/s`);
}
const seconds = (performance.now() - started) / 1000;
const live = (await fetch(`${server.url}/v2/health/live`)).status;
const valid = await postJson(`${server.url}/v2/models/two/infer`, {
  inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 5, 2] }, { name: 'b', datatype: 'INT64', shape: [1, 1], data: [1] }],
});
const rssEndMb = process.memoryUsage().rss / 2 ** 20;
grpc.close();
await server.close();

const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
const served = [...outcomes].filter(([k]) => / (200|0)$/.test(k)).reduce((a, [, v]) => a + v, 0);
const fiveHundreds = [...outcomes].filter(([k]) => / 5\d\d/.test(k)).reduce((a, [, v]) => a + v, 0);
log(`outcomes (transport status code: count), ${total} in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} req/s):`);
for (const [k, v] of [...outcomes].sort((a, b) => b[1] - a[1])) log(`  ${k.padEnd(40)} ${v}`);
for (const b of breaches) log(`breach ${b}`);
log(`RSS ${rssStartMb.toFixed(0)} MB → ${rssEndMb.toFixed(0)} MB`);
report.figure('requests', total);
report.figure('served', served);
report.figure('reqPerS', Math.round(total / seconds));
report.check('every request answered (no transport error, no crash)', transportErrors === 0 && total === RUNS, `${total} of ${RUNS} answered, ${transportErrors} transport errors`);
report.check('every reply a 2xx or a coded 4xx (shedding excepted), codes from ERROR_TABLE', breachCount === 0, `${breachCount} breaches; ${fiveHundreds} 5xx replies in all`);
report.check('the generator reaches the model', served >= RUNS / 20, `${served} served (${((100 * served) / total).toFixed(1)}%)`);
report.check('live stays 200 and a valid request succeeds afterwards', live === 200 && valid.status === 200, `live ${live}, valid ${valid.status}`);
report.finish();
