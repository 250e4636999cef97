import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { parse as parseYaml } from 'yaml';
import { buildRepository } from '../../examples/yarnit/repository.js';
import { DEFAULT_LOAD, defaultSuite, parseSuite, runTests, type Report, type SuiteName } from '../../src/testkit/index.js';
import { skein } from '../helpers/cli.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const YARNIT = new URL('../../examples/yarnit/', import.meta.url).pathname;
const BODY_LIMIT_BYTES = 1024 * 1024;

/** Runs `skein test …` in a child process. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await skein(['test', ...args]);
  return { ...r, code: r.code ?? -1 };
}

const PROTO = fileURLToPath(new URL('../../proto/grpc_service.proto', import.meta.url));
const RPCS = ['ServerLive', 'ServerReady', 'ModelReady', 'ServerMetadata', 'ModelMetadata', 'ModelInfer'];

/**
 * A gRPC proxy in front of Skein that answers INTERNAL where Skein answers INVALID_ARGUMENT, the
 * way a server that crashes on bad input would; everything else passes through unchanged.
 */
async function startInternalErrorProxy(target: number): Promise<{ endpoint: string; close: () => void }> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: false, arrays: true, oneofs: true });
  const Service = (grpc.loadPackageDefinition(definition).inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
  const upstream = new Service(`127.0.0.1:${target}`, grpc.credentials.createInsecure()) as unknown as Record<string, Function>;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const rpc of RPCS) {
    handlers[rpc] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      upstream[rpc]!.call(upstream, call.request, (err: grpc.ServiceError | null, reply: object) => {
        if (err?.code === grpc.status.INVALID_ARGUMENT) callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        else callback(err, reply);
      });
    };
  }
  server.addService(Service.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { endpoint: `grpc://127.0.0.1:${port}`, close: () => { server.forceShutdown(); (upstream as unknown as grpc.Client).close(); } };
}

const failedSuites = (r: Report): SuiteName[] => r.suites.filter((s) => s.status === 'failed').map((s) => s.name);
const suiteOf = (r: Report, name: SuiteName) => r.suites.find((s) => s.name === name)!;
const detail = (r: Report): string =>
  JSON.stringify(r.suites.map((s) => [s.name, s.status, s.reason, s.cases.filter((c) => c.status !== 'passed').map((c) => [c.name, c.message])]));

/** The yarnit suite with a short load test and the server's body limit; `change` edits the raw file. */
async function yarnitSuite(change: (raw: Record<string, any>) => void = () => undefined) {
  const raw = parseYaml(await readFile(join(YARNIT, 'suite.yaml'), 'utf8')) as Record<string, any>;
  raw.requestTimeoutMs = 2000;
  raw.statistical.requests = 150;
  raw.errors.maxBodyBytes = BODY_LIMIT_BYTES;
  raw.load = { ...raw.load, users: 4, ratePerUser: 10, durationMs: 1000 };
  change(raw);
  return parseSuite(raw, YARNIT);
}

describe('skein test over gRPC against Skein serving the yarnit models', () => {
  let server: TestServer;
  let endpoint: string;
  before(async () => {
    const repo = await tempRepo();
    await buildRepository(repo, 42);
    server = await startTestServer(repo, { maxBodyBytes: BODY_LIMIT_BYTES });
    endpoint = `grpc://127.0.0.1:${server.grpcPort}`;
  });
  after(async () => {
    await server?.close();
  });

  test('every suite passes over gRPC; the error cases get their documented statuses and the counters move', async () => {
    const report = await runTests({ endpoint, suite: await yarnitSuite(), metricsUrl: `${server.url}/metrics` });
    assert.deepEqual(failedSuites(report), [], detail(report));
    assert.equal(report.endpoint, endpoint);
    for (const name of ['protocol', 'functional', 'statistical', 'errors', 'load', 'e2e'] as const) {
      assert.equal(suiteOf(report, name).status, 'passed', `${name}: ${detail(report)}`);
    }
    const errors = suiteOf(report, 'errors').cases.map((c) => [c.name, c.status]);
    assert.deepEqual(errors, [
      ['a valid request is answered before the error cases', 'passed'],
      ['wrong datatype for an input gets INVALID_ARGUMENT with a message', 'passed'],
      ['wrong shape (an extra dimension, raw contents sized to match) gets INVALID_ARGUMENT with a message', 'passed'],
      ['raw contents one byte short of the shape gets INVALID_ARGUMENT with a message', 'passed'],
      ['missing input gets INVALID_ARGUMENT with a message', 'passed'],
      ['unknown input gets INVALID_ARGUMENT with a message', 'passed'],
      ['unknown output requested gets INVALID_ARGUMENT with a message', 'passed'],
      ['typed contents and raw contents together gets INVALID_ARGUMENT with a message', 'passed'],
      ['more raw_input_contents entries than inputs gets INVALID_ARGUMENT with a message', 'passed'],
      ['unknown model gets NOT_FOUND with a message', 'passed'],
      [`message of ${BODY_LIMIT_BYTES + 1} bytes (one over maxBodyBytes) gets RESOURCE_EXHAUSTED with a message`, 'passed'],
      ['a valid request still gets the same answer afterwards', 'passed'],
    ]);
    const e2e = suiteOf(report, 'e2e').cases;
    assert.deepEqual(e2e.map((c) => c.status), ['passed', 'passed', 'skipped']);
    assert.match(e2e[2]!.message!, /no feedback RPC/);
    assert.equal(suiteOf(report, 'load').load!.errors, 0);
  });

  test('without --metrics-url the metrics case is skipped with the reason, not failed', async () => {
    const report = await runTests({
      endpoint, model: 'query_category', suite: { ...defaultSuite(), load: { ...DEFAULT_LOAD, durationMs: 300 } },
    });
    assert.deepEqual(failedSuites(report), [], detail(report));
    const metrics = suiteOf(report, 'e2e').cases[1]!;
    assert.equal(metrics.status, 'skipped');
    assert.match(metrics.message!, /--metrics-url/);
  });

  test('a wrong golden value over gRPC fails the functional suite and only it', async () => {
    const suite = await yarnitSuite((raw) => {
      raw.functional.examples = [{ ...golden[0], outputs: { probability: { data: [2] } } }];
      raw.statistical.requests = 40;
    });
    const report = await runTests({ endpoint, suite });
    assert.deepEqual(failedSuites(report), ['functional'], detail(report));
    assert.match(suiteOf(report, 'functional').cases[0]!.message!, /output "probability"\[0\]: expected 2 ± 0\.0001/);
  });

  test('bad input answered with INTERNAL over gRPC fails the error-handling suite and only it', async () => {
    const proxy = await startInternalErrorProxy(server.grpcPort);
    try {
      const report = await runTests({ endpoint: proxy.endpoint, suite: await yarnitSuite((raw) => { raw.statistical.requests = 40; }) });
      assert.deepEqual(failedSuites(report), ['errors'], detail(report));
      const wrongType = suiteOf(report, 'errors').cases.find((c) => c.name.startsWith('wrong datatype'))!;
      assert.equal(wrongType.status, 'failed');
      assert.equal(wrongType.message, 'answered INTERNAL (13): internal error, expected INVALID_ARGUMENT (3)');
      assert.equal(suiteOf(report, 'errors').cases.find((c) => c.name.startsWith('unknown model'))!.status, 'passed');
    } finally {
      proxy.close();
    }
  });

  test('a gRPC endpoint without the model fails the protocol suite and only it, naming NOT_FOUND', async () => {
    const report = await runTests({ endpoint, model: 'no_such_model', suite: { ...defaultSuite(), load: { ...DEFAULT_LOAD, durationMs: 300 } } });
    assert.deepEqual(failedSuites(report), ['protocol'], detail(report));
    const protocol = suiteOf(report, 'protocol').cases;
    assert.match(protocol.find((c) => c.name.includes('ModelMetadata'))!.message!, /NOT_FOUND \(5\) MODEL_NOT_FOUND/);
    assert.match(suiteOf(report, 'errors').reason!, /model metadata is unavailable/);
  });

  test('the CLI selects gRPC with --protocol and exits 0; a grpc:// URL with --protocol rest exits 2', async () => {
    const ok = await cli(['--protocol', 'grpc', '--endpoint', `127.0.0.1:${server.grpcPort}`, '--model', 'query_category', '--skip', 'load']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`skein test: ${endpoint}, model query_category`));
    assert.match(ok.stdout, /✔ errors/);
    const bad = await cli(['--protocol', 'rest', '--endpoint', endpoint, '--model', 'purchase']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a grpc:\/\/ URL needs protocol grpc/);
  });
});

let golden: Array<Record<string, unknown>> = [];
before(async () => {
  const raw = JSON.parse(await readFile(join(YARNIT, 'suite-golden.json'), 'utf8')) as { examples: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
  golden = Array.isArray(raw) ? raw : raw.examples;
});
