import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { pino } from 'pino';
import { ERROR_TABLE, ServingError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import type { InferRequest, InferResponse, InferenceService, ModelStatistics } from '../../serving/index.js';
import { createHttpServer } from './server.js';

/**
 * A transport-only fake: it echoes inputs as outputs and throws chosen ServingErrors, so these
 * tests see exactly what the HTTP layer does. Real models are exercised in test/integration.
 * Model `fail-<code>` (e.g. fail-queue-full) throws that code; `missing` throws MODEL_NOT_FOUND;
 * `boom` throws a plain Error; `cold` is not ready; `slow` waits until released.
 */
function echoService() {
  const state = { ready: true, infers: [] as InferRequest[], loads: [] as string[], unloads: [] as string[] };
  let releaseSlow: (() => void) | undefined;
  const slowStarted: { resolve?: () => void } = {};
  const check = (model: string): void => {
    if (model === 'missing') throw new ServingError('MODEL_NOT_FOUND', 'no such model');
    if (model === 'boom') throw new Error('secret-detail /etc/passwd');
    if (model.startsWith('fail-')) {
      const code = model.slice(5).toUpperCase().replaceAll('-', '_') as ErrorCode;
      throw new ServingError(code, `chosen failure ${code}`);
    }
  };
  const stats = (name: string, version: string): ModelStatistics => {
    const zero = { count: 0, ns: 0 };
    return {
      name, version, last_inference: 0, inference_count: 0, execution_count: 0, batch_stats: [],
      inference_stats: {
        success: zero, fail: zero, queue: zero, compute_input: zero,
        compute_infer: zero, compute_output: zero, cache_hit: zero, cache_miss: zero,
      },
    };
  };
  const service: InferenceService = {
    async infer(request): Promise<InferResponse> {
      check(request.model);
      state.infers.push(request);
      if (request.model === 'slow') {
        await new Promise<void>((resolve) => {
          releaseSlow = resolve;
          slowStarted.resolve?.();
        });
      }
      const response: InferResponse = { model_name: request.model, model_version: request.version ?? '1', outputs: request.inputs };
      if (request.id !== undefined) response.id = request.id;
      return response;
    },
    live: () => true,
    ready: () => state.ready,
    modelReady(model) {
      check(model);
      return model !== 'cold';
    },
    serverMetadata: () => ({ name: 'skein', version: '0.1.0', extensions: ['binary_tensor_data'] }),
    modelMetadata(model, version) {
      check(model);
      const spec = { name: 'x', datatype: 'FP32' as const, shape: [-1] };
      return { name: model, versions: [version ?? '1'], platform: 'onnx_onnxv1', inputs: [spec], outputs: [spec] };
    },
    modelConfig(model, version) {
      check(model);
      return { name: model, version: version ?? 'default' };
    },
    statistics: (model, version) => [stats(model ?? 'echo', version ?? '1')],
    repositoryIndex: () => [
      { name: 'echo', version: '1', state: 'ready' },
      { name: 'echo', version: '2', state: 'failed', reason: 'warm-up failed' },
      { name: 'cold', version: '1', state: 'loading' },
    ],
    async loadModel(model) {
      check(model);
      state.loads.push(model);
    },
    async unloadModel(model) {
      check(model);
      state.unloads.push(model);
    },
  };
  const waitSlow = () => new Promise<void>((resolve) => { slowStarted.resolve = resolve; });
  return { service, state, releaseSlow: () => releaseSlow?.(), waitSlow };
}

const MAX_BODY_BYTES = 64 * 1024;
const logLines: string[] = [];
const logWaiters: { match: string; resolve: () => void }[] = [];

/** Resolves when a log line containing `match` is written: a sync point without sleeping. */
function logged(match: string): Promise<void> {
  return new Promise((resolve) => logWaiters.push({ match, resolve }));
}

async function start(options: { modelControl?: boolean; maxBodyBytes?: number } = {}) {
  const fake = echoService();
  const logSink = new Writable({ write(chunk, _enc, done) {
    const line = String(chunk);
    logLines.push(line);
    for (const w of logWaiters) if (line.includes(w.match)) w.resolve();
    done();
  }  });
  const server = createHttpServer({
    service: fake.service,
    metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: async () => 'skein_up 1\n' },
    logger: pino({ level: 'debug' }, logSink),
    limits: {
      maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES, maxJsonDepth: 8,
      maxTensorElements: 1 << 20, maxInputs: 16, requestTimeoutMs: 30_000,
    },
    modelControl: options.modelControl ?? true,
  });
  const { port } = await server.listen(0);
  return { server, fake, base: `http://127.0.0.1:${port}`, port };
}

type Started = Awaited<ReturnType<typeof start>>;

// Bodies are checked field by field with assert, so `any` here costs no safety.
const json = (res: Response): Promise<any> => res.json();

const inferBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1.5, 2.5] }], ...extra });

async function post(base: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}) {
  return fetch(base + path, { method: 'POST', body, headers });
}

/** Sends the path byte for byte: fetch would resolve `..` and `%2e%2e` before sending. */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a socket and resolves with everything the server sent before closing. */
function rawExchange(port: number, text: string) {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

async function assertStillServing(base: string) {
  const live = await fetch(`${base}/v2/health/live`);
  assert.equal(live.status, 200);
  const res = await post(base, '/v2/models/echo/infer', inferBody());
  assert.equal(res.status, 200);
  assert.deepEqual((await json(res)).outputs[0].data, [1.5, 2.5]);
}

describe('gzip bombs', () => {
  let s: Started;
  before(async () => { s = await start({ maxBodyBytes: 4 * 1024 * 1024 }); });
  after(async () => s.server.close());

  test('a 50 MB gzip bomb is refused with 413 BODY_TOO_LARGE and memory stays near the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const peakBeforeKb = process.resourceUsage().maxRSS;
    const res = await post(s.base, '/v2/models/echo/infer', bomb, { 'content-encoding': 'gzip' });
    const budget = 4 * 4 * 1024 * 1024;
    assert.ok(process.memoryUsage().rss - rssBefore < budget, 'RSS grew past 4 × maxBodyBytes');
    assert.ok((process.resourceUsage().maxRSS - peakBeforeKb) * 1024 < budget, 'peak RSS grew past 4 × maxBodyBytes');
    assert.equal(res.status, 413);
    assert.equal((await json(res)).code, 'BODY_TOO_LARGE');
    await assertStillServing(s.base);
  });
});

describe('HTTP routes', () => {
  let s: Started;
  before(async () => { s = await start(); });
  after(async () => s.server.close());

  test('live and ready answer 200 with JSON bodies', async () => {
    const live = await fetch(`${s.base}/v2/health/live`);
    assert.deepEqual([live.status, await json(live)], [200, { live: true }]);
    const ready = await fetch(`${s.base}/v2/health/ready`);
    assert.deepEqual([ready.status, await json(ready)], [200, { ready: true }]);
  });

  test('ready answers 503 with ready false, a code and Retry-After when the service is not ready', async () => {
    s.fake.state.ready = false;
    try {
      const res = await fetch(`${s.base}/v2/health/ready`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      const body = await json(res);
      assert.equal(body.ready, false);
      assert.equal(body.code, 'MODEL_NOT_READY');
      assert.equal(typeof body.error, 'string');
    } finally {
      s.fake.state.ready = true;
    }
  });

  test('GET /v2 returns server metadata', async () => {
    const res = await fetch(`${s.base}/v2`);
    assert.deepEqual(await json(res), { name: 'skein', version: '0.1.0', extensions: ['binary_tensor_data'] });
  });

  for (const prefix of ['/v2/models/echo', '/v2/models/echo/versions/3', '/v2/models/echo/versions/stable']) {
    const version = prefix.split('/versions/')[1];
    test(`${prefix} serves metadata, ready, config, stats and infer`, async () => {
      const meta = await json(await fetch(s.base + prefix));
      assert.deepEqual([meta.name, meta.versions], ['echo', [version ?? '1']]);
      const ready = await fetch(`${s.base}${prefix}/ready`);
      assert.deepEqual([ready.status, await json(ready)], [200, { name: 'echo', ready: true }]);
      const config = await json(await fetch(`${s.base}${prefix}/config`));
      assert.deepEqual(config, { name: 'echo', version: version ?? 'default' });
      const stats = await json(await fetch(`${s.base}${prefix}/stats`));
      assert.equal(stats.model_stats[0].version, version ?? '1');
      const res = await post(s.base, `${prefix}/infer`, inferBody({ id: 'r-1' }));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = await json(res);
      assert.deepEqual([body.model_name, body.model_version, body.id], ['echo', version ?? '1', 'r-1']);
      assert.deepEqual(body.outputs, [{ name: 'x', datatype: 'FP32', shape: [2], data: [1.5, 2.5] }]);
      assert.equal(s.fake.state.infers.at(-1)?.version, version);
    });
  }

  test('model ready answers 503 MODEL_NOT_READY with ready false for a model still loading', async () => {
    const res = await fetch(`${s.base}/v2/models/cold/ready`);
    assert.equal(res.status, 503);
    assert.deepEqual(await json(res), {
      name: 'cold', ready: false, code: 'MODEL_NOT_READY', error: 'no version of the model is ready yet; retry later',
    });
  });

  test('GET /v2/models/stats and GET /v2/models list every model', async () => {
    const stats = await json(await fetch(`${s.base}/v2/models/stats`));
    assert.equal(stats.model_stats.length, 1);
    const list = await json(await fetch(`${s.base}/v2/models`));
    assert.deepEqual(list, {
      models: [{ name: 'echo', versions: ['1', '2'], state: 'ready' }, { name: 'cold', versions: ['1'], state: 'loading' }],
    });
  });

  test('POST /v2/repository/index lists versions with Triton states, filtered by ready', async () => {
    const all = await json(await post(s.base, '/v2/repository/index'));
    assert.deepEqual(all, [
      { name: 'echo', version: '1', state: 'READY', reason: '' },
      { name: 'echo', version: '2', state: 'UNAVAILABLE', reason: 'warm-up failed' },
      { name: 'cold', version: '1', state: 'LOADING', reason: '' },
    ]);
    const ready = await json(await post(s.base, '/v2/repository/index', '{"ready":true}'));
    assert.deepEqual(ready.map((e: { name: string }) => e.name), ['echo']);
    const bad = await post(s.base, '/v2/repository/index', '{"ready":"yes"}');
    assert.deepEqual([bad.status, (await json(bad)).code], [400, 'INVALID_REQUEST']);
  });

  test('load and unload call the service and answer 200 {}', async () => {
    const load = await post(s.base, '/v2/repository/models/echo/load');
    assert.deepEqual([load.status, await json(load)], [200, {}]);
    const unload = await post(s.base, '/v2/repository/models/echo/unload', '{"parameters":{"unload_dependents":true}}');
    assert.deepEqual([unload.status, await json(unload)], [200, {}]);
    assert.deepEqual([s.fake.state.loads, s.fake.state.unloads], [['echo'], ['echo']]);
  });

  test('a load carrying an inline config answers 501 UNSUPPORTED', async () => {
    const res = await post(s.base, '/v2/repository/models/echo/load', '{"parameters":{"config":"{}"}}');
    assert.deepEqual([res.status, (await json(res)).code], [501, 'UNSUPPORTED']);
  });

  test('GET /metrics returns the registry text with its content type', async () => {
    const res = await fetch(`${s.base}/metrics`);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await res.text(), 'skein_up 1\n');
  });

  test('binary outputs come back as application/octet-stream with Inference-Header-Content-Length', async () => {
    const header = JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }],
      parameters: { binary_data_output: true },
    });
    const tensor = new Uint8Array(new Float32Array([3, -4]).buffer);
    const body = Buffer.concat([Buffer.from(header), tensor]);
    const res = await post(s.base, '/v2/models/echo/infer', body, { 'inference-header-content-length': String(header.length) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = JSON.parse(bytes.subarray(0, jsonLength).toString());
    assert.equal(json.outputs[0].parameters.binary_data_size, 8);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + jsonLength, bytes.byteOffset + bytes.length));
    assert.deepEqual([...values], [3, -4]);
  });

  test('close waits for an in-flight request, which still succeeds', async () => {
    const own = await start();
    const started = own.fake.waitSlow();
    const pending = post(own.base, '/v2/models/slow/infer', inferBody());
    await started;
    const closed = own.server.close();
    own.fake.releaseSlow();
    const res = await pending;
    assert.equal(res.status, 200);
    await closed;
  });

  test('during close, a request arriving on an open connection answers 503 SHUTTING_DOWN', async () => {
    const own = await start();
    const started = own.fake.waitSlow();
    const socket = net.connect(own.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const body = inferBody();
    socket.write(`POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await started;
    const closed = own.server.close();
    const rejected = logged('"code":"SHUTTING_DOWN"');
    socket.write('GET /v2/models/echo HTTP/1.1\r\nHost: x\r\n\r\n');
    await rejected;
    own.fake.releaseSlow();
    await closed;
    socket.end();
    await ended;
    const text = Buffer.concat(chunks).toString();
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /HTTP\/1\.1 503 [^]*retry-after: 1[^]*"code":"SHUTTING_DOWN"/);
  });

  test('logs carry no request body values', async () => {
    const marker = 'sk-live-4111111111111111';
    const body = JSON.stringify({ inputs: [{ name: 'q', datatype: 'BYTES', shape: [1], data: [marker] }] });
    await post(s.base, '/v2/models/echo/infer', body);
    await post(s.base, '/v2/models/echo/infer', body.slice(0, -3));
    assert.ok(logLines.length > 0);
    assert.ok(!logLines.some((line) => line.includes(marker)));
  });
});

describe('HTTP errors', () => {
  let s: Started;
  before(async () => { s = await start(); });
  after(async () => s.server.close());
  afterEach(async () => assertStillServing(s.base));

  const retryable = new Set(['QUEUE_FULL', 'SHUTTING_DOWN', 'MODEL_NOT_READY']);
  for (const [code, row] of Object.entries(ERROR_TABLE)) {
    test(`${code} from the service answers ${row.http} with {error, code}`, async () => {
      const model = `fail-${code.toLowerCase().replaceAll('_', '-')}`;
      const res = await post(s.base, `/v2/models/${model}/infer`, inferBody());
      assert.equal(res.status, row.http);
      assert.deepEqual(await json(res), { error: `chosen failure ${code}`, code });
      assert.equal(res.headers.get('retry-after'), retryable.has(code) ? '1' : null);
    });
  }

  test('MODEL_NOT_FOUND from metadata, ready, config and load answers 404', async () => {
    for (const path of ['/v2/models/missing', '/v2/models/missing/ready', '/v2/models/missing/versions/2/config']) {
      const res = await fetch(s.base + path);
      assert.deepEqual([res.status, (await json(res)).code], [404, 'MODEL_NOT_FOUND'], path);
    }
    const load = await post(s.base, '/v2/repository/models/missing/load');
    assert.deepEqual([load.status, (await json(load)).code], [404, 'MODEL_NOT_FOUND']);
  });

  test('an unexpected error answers 500 INTERNAL without its message', async () => {
    const res = await post(s.base, '/v2/models/boom/infer', inferBody());
    assert.equal(res.status, 500);
    assert.deepEqual(await json(res), { error: 'internal error', code: 'INTERNAL' });
  });

  test('load and unload answer 403 CONTROL_DISABLED when model control is off', async () => {
    const own = await start({ modelControl: false });
    try {
      for (const action of ['load', 'unload']) {
        const res = await post(own.base, `/v2/repository/models/echo/${action}`);
        assert.deepEqual([res.status, (await json(res)).code], [403, 'CONTROL_DISABLED']);
      }
      assert.deepEqual(own.fake.state.loads, []);
    } finally {
      await own.server.close();
    }
  });

  test('an unknown route or method answers 404 ROUTE_NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/v3/models'], ['POST', '/v2/health/live'], ['GET', '/v2/models/echo/infer']]) {
      const res = await fetch(s.base + path!, { method });
      assert.equal(res.status, 404);
      assert.equal((await json(res)).code, 'ROUTE_NOT_FOUND');
    }
  });

  test('malformed JSON answers 400 INVALID_JSON and JSON nested past maxJsonDepth answers JSON_TOO_DEEP', async () => {
    const bad = await post(s.base, '/v2/models/echo/infer', '{"inputs": [');
    assert.deepEqual([bad.status, (await json(bad)).code], [400, 'INVALID_JSON']);
    const deep = await post(s.base, '/v2/models/echo/infer', `{"inputs":${'['.repeat(20)}${']'.repeat(20)}}`);
    assert.deepEqual([deep.status, (await json(deep)).code], [400, 'JSON_TOO_DEEP']);
    const index = await post(s.base, '/v2/repository/index', '{"ready":');
    assert.deepEqual([index.status, (await json(index)).code], [400, 'INVALID_JSON']);
  });

  test('no Content-Type, or any Content-Type, is accepted', async () => {
    const none = await rawRequest(s.port, 'POST', '/v2/models/echo/infer', {}, Buffer.from(inferBody()));
    assert.equal(none.status, 200);
    const text = await post(s.base, '/v2/models/echo/infer', inferBody(), { 'content-type': 'text/plain' });
    assert.equal(text.status, 200);
  });

  test('a body of exactly maxBodyBytes is served and one byte more answers 413 BODY_TOO_LARGE', async () => {
    const body = inferBody();
    const exact = body + ' '.repeat(MAX_BODY_BYTES - body.length);
    assert.equal((await post(s.base, '/v2/models/echo/infer', exact)).status, 200);
    const over = await post(s.base, '/v2/models/echo/infer', `${exact} `);
    assert.deepEqual([over.status, (await json(over)).code], [413, 'BODY_TOO_LARGE']);
  });

  test('a Content-Length past the limit answers 413 before the body is sent', async () => {
    // Headers only: the server must answer (and close) without waiting for the declared body.
    const head = `POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`;
    const response = await rawExchange(s.port, head);
    assert.match(response, /^HTTP\/1\.1 413 /);
    assert.match(response, /"code":"BODY_TOO_LARGE"/);
  });

  test('gzip and deflate bodies are decompressed', async () => {
    const gz = await post(s.base, '/v2/models/echo/infer', zlib.gzipSync(inferBody()), { 'content-encoding': 'gzip' });
    assert.equal(gz.status, 200);
    const df = await post(s.base, '/v2/models/echo/infer', zlib.deflateSync(inferBody()), { 'content-encoding': 'deflate' });
    assert.equal(df.status, 200);
  });

  test('a gzip body that inflates to exactly maxBodyBytes is served and one byte more answers 413', async () => {
    const body = inferBody();
    const exact = body + ' '.repeat(MAX_BODY_BYTES - body.length);
    const ok = await post(s.base, '/v2/models/echo/infer', zlib.gzipSync(exact), { 'content-encoding': 'gzip' });
    assert.equal(ok.status, 200);
    const over = await post(s.base, '/v2/models/echo/infer', zlib.gzipSync(`${exact} `), { 'content-encoding': 'gzip' });
    assert.deepEqual([over.status, (await json(over)).code], [413, 'BODY_TOO_LARGE']);
  });

  test('an unknown Content-Encoding or a corrupt gzip body answers 415 UNSUPPORTED_ENCODING', async () => {
    for (const [encoding, body] of [['br', inferBody()], ['gzip, gzip', inferBody()], ['gzip', 'not gzip at all']]) {
      const res = await post(s.base, '/v2/models/echo/infer', body, { 'content-encoding': encoding! });
      assert.deepEqual([res.status, (await json(res)).code], [415, 'UNSUPPORTED_ENCODING'], encoding);
    }
  });

  // fetch would resolve `..` and `%2e%2e` itself, so these go out byte for byte.
  const traversal: [string, string, number, string][] = [
    ['GET', '/v2/models/..%2Fetc/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/%2e%2e/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/%00/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/echo%00/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/..%252Fetc/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/%252e%252e/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/..%5C..%5Cwindows/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/.hidden', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/%E0%A4%A/ready', 400, 'INVALID_MODEL_NAME'],
    ['GET', '/v2/models/echo/versions/..%2F..%2Fetc/ready', 400, 'INVALID_MODEL_NAME'],
    ['POST', '/v2/models/echo/versions/%2e%2e/infer', 400, 'INVALID_MODEL_NAME'],
    ['POST', '/v2/repository/models/..%2F..%2Fetc/load', 400, 'INVALID_MODEL_NAME'],
    // Literal dot segments and slashes split the path, so the router matches no route.
    ['GET', '/v2/models/../../etc/passwd', 404, 'ROUTE_NOT_FOUND'],
    ['GET', '/v2/models/echo/../../../etc/ready', 404, 'ROUTE_NOT_FOUND'],
  ];
  for (const [method, path, status, code] of traversal) {
    test(`${method} ${path} answers ${status} ${code}`, async () => {
      const res = await rawRequest(s.port, method, path);
      assert.deepEqual([res.status, res.body.code], [status, code]);
      assert.equal(s.fake.state.loads.length, 0);
    });
  }

  test('a model name of 128 characters is accepted and one of 129 answers 400 INVALID_MODEL_NAME', async () => {
    const ok = await fetch(`${s.base}/v2/models/${'m'.repeat(128)}`);
    assert.equal(ok.status, 200);
    const long = await fetch(`${s.base}/v2/models/${'m'.repeat(129)}`);
    assert.deepEqual([long.status, (await json(long)).code], [400, 'INVALID_MODEL_NAME']);
    const huge = await fetch(`${s.base}/v2/models/${'m'.repeat(2000)}/ready`);
    assert.deepEqual([huge.status, (await json(huge)).code], [400, 'INVALID_MODEL_NAME']);
  });
});
