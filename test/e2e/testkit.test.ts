import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { parse as parseYaml } from 'yaml';
import { buildRepository } from '../../examples/yarnit/repository.js';
import { DEFAULT_LOAD, defaultSuite, parseSuite, runTests, type Report, type SuiteName } from '../../src/testkit/index.js';
import { startFaultyServer, type Fault } from '../helpers/faulty-servers.js';
import { skein } from '../helpers/cli.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const YARNIT = new URL('../../examples/yarnit/', import.meta.url).pathname;
const BODY_LIMIT_BYTES = 1024 * 1024;

/** Runs `skein test …` in a child process. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await skein(['test', ...args]);
  return { ...r, code: r.code ?? -1 };
}

const failedSuites = (r: Report): SuiteName[] => r.suites.filter((s) => s.status === 'failed').map((s) => s.name);
const suiteOf = (r: Report, name: SuiteName) => r.suites.find((s) => s.name === name)!;

/** The yarnit suite, shortened for the fault tests and with bounds a fault shows against. */
async function faultSuite() {
  const raw = parseYaml(await readFile(join(YARNIT, 'suite.yaml'), 'utf8')) as Record<string, any>;
  raw.requestTimeoutMs = 1000;
  raw.statistical.requests = 60;
  raw.statistical.concurrency = 2;
  raw.errors.maxBodyBytes = BODY_LIMIT_BYTES;
  raw.load = { users: 4, ratePerUser: 10, durationMs: 1000, maxInFlight: 64, thresholds: { p99Ms: 200, maxErrorRate: 0.01, minRateRatio: 0.8 } };
  return parseSuite(raw, YARNIT);
}

describe('skein test against Skein serving the yarnit models', () => {
  let server: TestServer;
  let out: string;
  before(async () => {
    const repo = await tempRepo();
    await buildRepository(repo, 42);
    server = await startTestServer(repo, { maxBodyBytes: BODY_LIMIT_BYTES });
    out = await mkdtemp(join(tmpdir(), 'skein-testkit-'));
  });
  after(async () => {
    await server?.close();
    await rm(out, { recursive: true, force: true });
  });

  test('the CLI runs the yarnit suite: every suite passes, feedback is skipped with its reason, JUnit and HTML are written, exit 0', async () => {
    const junit = join(out, 'report.xml');
    const html = join(out, 'report.html');
    const r = await cli(['--endpoint', server.url, '--suite', join(YARNIT, 'suite.yaml'), '--junit', junit, '--html', html]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const name of ['protocol', 'functional', 'statistical', 'errors', 'load', 'e2e']) assert.match(r.stdout, new RegExp(`✔ ${name}`));
    assert.match(r.stdout, /the endpoint has no feedback route/);
    assert.match(r.stdout, /PASSED/);
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testsuites name="skein test purchase" tests="\d+" failures="0"/);
    assert.match(xml, /<testsuite name="statistical"/);
    const page = await readFile(html, 'utf8');
    assert.equal((page.match(/<svg /g) ?? []).length, 2, 'a latency chart and a distribution chart');
    assert.doesNotMatch(page, /<script|<link|src=|href="http|url\(/, 'no external assets');
  });

  test('with no suite file it runs what needs no data and says which suites it skipped and why', async () => {
    const report = await runTests({ endpoint: server.url, model: 'query_category', suite: { ...defaultSuite(), load: { ...DEFAULT_LOAD, durationMs: 500 } } });
    assert.deepEqual(report.suites.map((s) => [s.name, s.status]), [
      ['protocol', 'passed'], ['functional', 'skipped'], ['statistical', 'skipped'], ['errors', 'passed'], ['load', 'passed'], ['e2e', 'passed'],
    ]);
    assert.match(suiteOf(report, 'functional').reason!, /no golden examples/);
    assert.match(suiteOf(report, 'statistical').reason!, /no data/);
    assert.equal(report.passed, true);
  });

  test('the CLI exits 1 against an endpoint without the protocol\'s health and metadata routes', async () => {
    const bare = Fastify();
    bare.post('/v2/models/:m/infer', async () => ({ outputs: [] }));
    await bare.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = bare.server.address() as { port: number };
      const r = await cli(['--endpoint', `http://127.0.0.1:${address.port}`, '--model', 'purchase', '--request-timeout-ms', '2000']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /✘ protocol/);
      assert.match(r.stdout, /GET \/v2\/health\/live answered 404/);
      assert.match(r.stdout, /- errors +skipped: the model metadata is unavailable/);
      assert.match(r.stdout, /FAILED/);
    } finally {
      await bare.close();
    }
  });

  test('the CLI exits 2 with the key named when the suite file is invalid', async () => {
    const bad = join(out, 'bad.yaml');
    await writeFile(bad, 'model: purchase\nload:\n  rps: 10\n');
    const r = await cli(['--endpoint', server.url, '--suite', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /suite file: load: .*rps/i);
  });

  const planted: Array<[Fault, SuiteName[], string]> = [
    ['none', [], 'a faithful proxy passes every suite'],
    ['wrong-outputs', ['functional'], 'wrong outputs fail the functional suite and only it'],
    ['skewed', ['statistical'], 'skewed predictions fail the statistical suite and only it'],
    ['errors-500', ['errors'], 'bad input answered with 500 fails the error-handling suite and only it'],
    ['slow-under-load', ['load'], 'a server that slows under load fails the load suite and only it'],
  ];
  for (const [fault, expected, name] of planted) {
    test(name, async () => {
      const faulty = await startFaultyServer(server.url, fault);
      try {
        const report = await runTests({ endpoint: faulty.url, suite: await faultSuite() });
        const detail = JSON.stringify(report.suites.map((s) => [s.name, s.status, s.cases.filter((c) => c.status === 'failed').map((c) => c.message)]));
        assert.deepEqual(failedSuites(report), expected, detail);
        assert.equal(report.passed, expected.length === 0);
      } finally {
        await faulty.close();
      }
    });
  }

  test('a server that hangs: every suite that infers fails with the timeout named, and the run ends', async () => {
    const faulty = await startFaultyServer(server.url, 'hang');
    try {
      const report = await runTests({ endpoint: faulty.url, suite: await faultSuite() });
      assert.deepEqual(failedSuites(report), ['functional', 'statistical', 'errors', 'load', 'e2e']);
      assert.equal(suiteOf(report, 'protocol').status, 'passed');
      for (const name of failedSuites(report)) {
        const messages = suiteOf(report, name).cases.map((c) => c.message ?? '').join('\n');
        assert.match(messages, /no answer within 1000 ms \(requestTimeoutMs\)/, `${name}: ${messages}`);
      }
      assert.match(suiteOf(report, 'functional').cases[1]!.message!, /not sent: an earlier request timed out/);
    } finally {
      await faulty.close();
    }
  });
});
