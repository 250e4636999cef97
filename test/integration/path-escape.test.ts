import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_TABLE } from '../../src/errors/index.js';
import { connectGrpc, failureOf, type TestClient } from '../helpers/grpc-client.js';
import { addModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/**
 * Scenario 17: model names that try to leave the repository, on every route that takes one,
 * and a repository whose symlinks lead out of it. Nothing outside the repository is listed,
 * loaded or read.
 */

/** Names as they appear in a URL path segment, raw: a client library would normalise some of them. */
const URL_NAMES = [
  '..', '.', '%2e%2e', '%2E%2E', '.%2e', '..%2F..%2Fetc', '%2e%2e%2f%2e%2e%2fetc', '..%5C..%5Cwin', 'a%00b', '%00',
  'a%2Fb', '%252e%252e', '..%c0%af', '%ff', '.hidden', 'x'.repeat(129),
  'http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data', 'http:%2F%2Fmetadata.google.internal', 'file%3A%2F%2F%2Fetc%2Fpasswd',
];
/** Paths with literal `..` and `/` segments, sent as they are. */
const RAW_PATHS: [string, string][] = [
  ['GET', '/v2/models/../../etc/passwd'],
  ['GET', '/v2/models/../../../etc/passwd/ready'],
  ['POST', '/v2/models/good/../../../outside/infer'],
  ['POST', '/v2/repository/models/../outside/load'],
  ['GET', '/v2/models/http://169.254.169.254/latest/meta-data'],
];

const ROUTES: [string, (name: string) => string][] = [
  ['GET', (m) => `/v2/models/${m}`],
  ['GET', (m) => `/v2/models/${m}/ready`],
  ['GET', (m) => `/v2/models/${m}/config`],
  ['GET', (m) => `/v2/models/${m}/stats`],
  ['GET', (m) => `/v2/models/${m}/versions/1`],
  ['GET', (m) => `/v2/models/good/versions/${m}`],
  ['GET', (m) => `/v2/models/good/versions/${m}/ready`],
  ['POST', (m) => `/v2/models/${m}/infer`],
  ['POST', (m) => `/v2/models/${m}/versions/1/infer`],
  ['POST', (m) => `/v2/models/good/versions/${m}/infer`],
  ['POST', (m) => `/v2/repository/models/${m}/load`],
  ['POST', (m) => `/v2/repository/models/${m}/unload`],
];

const NAME_CODES = new Set(['INVALID_MODEL_NAME', 'ROUTE_NOT_FOUND']);

/** One request over a raw socket, so the path reaches the server byte for byte. */
function rawRequest(port: number, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const body = method === 'POST' ? '{"inputs":[]}' : '';
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  });
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

describe('model names that try to leave the repository (scenario 17)', () => {
  let server: TestServer;
  let grpc: TestClient;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'good', 1, addModel(1));
    server = await startTestServer(repo, { modelControlMode: 'explicit', insecureModelControl: true, loadModels: ['*'] });
    grpc = connectGrpc(server.grpcPort);
  });
  after(async () => {
    grpc.close();
    await server.close();
  });

  test('every REST route refuses encoded traversal, NUL and URL names with a code', async () => {
    for (const [method, route] of ROUTES) {
      for (const name of URL_NAMES) {
        const path = route(name);
        const reply = await rawRequest(server.httpPort, method, path);
        const code = codeOf(reply.body);
        assert.ok(code !== undefined && NAME_CODES.has(code), `${method} ${path}: ${reply.status} ${reply.body.slice(0, 120)}`);
        assert.equal(reply.status, ERROR_TABLE[code as keyof typeof ERROR_TABLE].http);
      }
    }
  });

  test('literal .. and / segments never reach a model', async () => {
    for (const [method, path] of RAW_PATHS) {
      const reply = await rawRequest(server.httpPort, method, path);
      const code = codeOf(reply.body);
      assert.ok(code !== undefined && NAME_CODES.has(code), `${method} ${path}: ${reply.status} ${reply.body.slice(0, 120)}`);
    }
  });

  test('every gRPC method that takes a model name refuses them with INVALID_MODEL_NAME', async () => {
    const names = ['..', '../x', '../../etc/passwd', 'a/b', 'a\\b', 'a\u0000b', '\u0000', '%2e%2e', '.hidden',
      'http://169.254.169.254/latest/meta-data', 'x'.repeat(129)];
    const calls: [string, (n: string) => unknown][] = [
      ['ModelInfer', (n) => ({ model_name: n, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] })],
      ['ModelInfer', (n) => ({ model_name: 'good', model_version: n, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] })],
      ['ModelMetadata', (n) => ({ name: n })],
      ['ModelReady', (n) => ({ name: n })],
      ['ModelConfig', (n) => ({ name: n })],
      ['RepositoryModelLoad', (n) => ({ model_name: n })],
      ['RepositoryModelUnload', (n) => ({ model_name: n })],
    ];
    for (const [method, make] of calls) {
      for (const name of names) {
        let outcome: ReturnType<typeof failureOf> | undefined;
        try {
          await grpc.call(method, make(name));
        } catch (err) {
          outcome = failureOf(err);
        }
        assert.equal(outcome?.skeinCode, 'INVALID_MODEL_NAME', `${method} ${JSON.stringify(name)}`);
        assert.equal(outcome?.code, 3);
      }
    }
  });

  test('the good model still answers afterwards', async () => {
    const reply = await grpc.call('ModelInfer', { model_name: 'good', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] });
    assert.equal(reply.model_name, 'good');
  });
});

describe('symlinks that lead out of the repository (scenario 17)', () => {
  let server: TestServer;
  let grpc: TestClient;
  let outside: string;
  /** Files outside whose reading would show in their access time (see atimeWatch). */
  const canaries: string[] = [];

  before(async () => {
    outside = await mkdtemp(join(tmpdir(), 'skein-outside-'));
    await writeModel(outside, 'secret', 1, addModel(100));
    await writeFile(join(outside, 'config.yaml'), 'maxBatchSize: 7\n');
    canaries.push(join(outside, 'secret', '1', 'model.onnx'), join(outside, 'config.yaml'));
    const repo = await tempRepo();
    await writeModel(repo, 'good', 1, addModel(1));
    // The whole model directory is a link out.
    await symlink(join(outside, 'secret'), join(repo, 'linked_model'));
    // A real model directory whose version directory is a link out.
    await mkdir(join(repo, 'linked_version'));
    await symlink(join(outside, 'secret', '1'), join(repo, 'linked_version', '1'));
    // A real version directory whose model file is a link out.
    await mkdir(join(repo, 'linked_file', '1'), { recursive: true });
    await symlink(join(outside, 'secret', '1', 'model.onnx'), join(repo, 'linked_file', '1', 'model.onnx'));
    // A real model whose config.yaml is a link out (its maxBatchSize 7 would show in /config).
    await writeModel(repo, 'linked_config', 1, addModel(2));
    await symlink(join(outside, 'config.yaml'), join(repo, 'linked_config', 'config.yaml'));
    await atimeWatch.arm(canaries);
    server = await startTestServer(repo, { modelControlMode: 'explicit', insecureModelControl: true, loadModels: ['*'] });
    grpc = connectGrpc(server.grpcPort);
  });
  after(async () => {
    grpc.close();
    await server.close();
    await rm(outside, { recursive: true, force: true });
  });

  test('the index lists nothing that lies outside, and no linked version is served', async () => {
    const res = await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const index = (await res.json()) as { name: string; state?: string }[];
    const names = new Set(index.map((e) => e.name));
    assert.ok(names.has('good') && names.has('linked_config'));
    assert.ok(!names.has('linked_model') && !names.has('secret'));
    assert.ok(!index.some((e) => (e.name === 'linked_version' || e.name === 'linked_file') && String(e.state).toUpperCase() === 'READY'));
    for (const model of ['linked_model', 'linked_version', 'linked_file']) {
      const reply = await fetch(`${server.url}/v2/models/${model}/infer`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] }),
      });
      const body = (await reply.json()) as { code?: string };
      assert.ok(reply.status >= 400 && reply.status < 600 && body.code !== undefined, `${model} answered ${reply.status}`);
      assert.notEqual(reply.status, 200);
    }
  });

  test('a config.yaml that links out is not read: the model serves with its defaults', async () => {
    const config = (await (await fetch(`${server.url}/v2/models/linked_config/config`)).json()) as { maxBatchSize: number };
    assert.notEqual(config.maxBatchSize, 7);
    const reply = await fetch(`${server.url}/v2/models/linked_config/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] }),
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(((await reply.json()) as { outputs: { data: number[] }[] }).outputs[0]?.data, [2, 2, 2, 2]);
  });

  test('an explicit load of a linked model does not load it, over REST and gRPC', async () => {
    for (const model of ['linked_model', 'linked_version', 'linked_file']) {
      const res = await fetch(`${server.url}/v2/repository/models/${model}/load`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      const body = (await res.json()) as { code?: string };
      assert.ok(['MODEL_NOT_FOUND', 'MODEL_LOAD_FAILED'].includes(body.code ?? ''), `${model}: ${res.status} ${body.code}`);
      let code: string | undefined;
      try {
        await grpc.call('RepositoryModelLoad', { model_name: model });
      } catch (err) {
        code = failureOf(err).skeinCode;
      }
      assert.ok(['MODEL_NOT_FOUND', 'MODEL_LOAD_FAILED'].includes(code ?? ''), `${model} over gRPC: ${code}`);
      const ready = await fetch(`${server.url}/v2/models/${model}/ready`);
      assert.notEqual(ready.status, 200);
    }
  });

  test('no file outside the repository was opened', async (t) => {
    if (!(await atimeWatch.works())) {
      t.skip('this filesystem does not update access times (noatime); the served-model checks above still hold');
      return;
    }
    assert.deepEqual(await atimeWatch.touched(canaries), []);
  });
});

/**
 * With relatime (the Linux default) a read updates a file's access time when it is older than
 * its modification time. Setting atime well before mtime therefore makes any read of a canary
 * visible. A control file, read on purpose, tells whether this filesystem does it at all.
 */
const atimeWatch = {
  control: '',
  async arm(files: string[]): Promise<void> {
    this.control = join(await mkdtemp(join(tmpdir(), 'skein-atime-')), 'control');
    await writeFile(this.control, 'x');
    const past = new Date(Date.now() - 86_400_000);
    for (const f of [...files, this.control]) await utimes(f, past, new Date());
  },
  async works(): Promise<boolean> {
    const before = (await stat(this.control)).atimeMs;
    await readFile(this.control);
    return (await stat(this.control)).atimeMs !== before;
  },
  async touched(files: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const f of files) {
      const s = await stat(f);
      if (s.atimeMs >= s.mtimeMs) out.push(f);
    }
    return out;
  },
};
