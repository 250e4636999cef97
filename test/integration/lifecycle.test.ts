import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel, brokenModelBytes, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo, type TestServer, publishVersion, until } from '../helpers/server.js';


const servedVersion = async (server: TestServer, model: string): Promise<string | undefined> =>
  (await getJson(`${server.url}/v2/models/${model}`)).body?.versions?.at(-1);

describe('poll mode: versions swap under load without a failed request', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'm', 1, addModel(1));
    server = await startTestServer(repo, { modelControlMode: 'poll', repositoryPollIntervalMs: 50 });
  });
  after(() => server.close());

  // The REST index uses Triton's state names: READY, LOADING, UNLOADING, UNAVAILABLE (with a reason).
  test('20 swaps under concurrent load: every reply is 200 and names the version that computed it', async () => {
    let stop = false;
    const replies: { status: number; version: string; y: number; code?: string }[] = [];
    const client = async () => {
      while (!stop) {
        const r = await postJson(`${server.url}/v2/models/m/infer`, fp32Rows([[10, 10, 10, 10]]));
        replies.push({ status: r.status, version: r.body.model_version, y: r.body.outputs?.[0]?.data?.[0], code: r.body.code });
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let v = 2; v <= 21; v++) {
      await publishVersion(server.repo, 'm', v, addModel(v));
      await until(`version ${v}`, async () => (await servedVersion(server, 'm')) === String(v));
    }
    stop = true;
    await Promise.all(clients);
    const failed = replies.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], 'no request failed during the swaps');
    assert.ok(replies.length > 100, `enough traffic (${replies.length} requests)`);
    for (const r of replies) assert.equal(r.y, 10 + Number(r.version), 'the reply names the version that computed it');
    const seen = new Set(replies.map((r) => r.version));
    assert.ok(seen.size >= 10, `traffic reached many versions (${seen.size})`);
    // latest:1 keeps one version: every older one has been drained and released.
    await until('old versions unloaded', async () => {
      const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { name: string; version: string; state: string }[];
      return index.filter((e) => e.name === 'm').map((e) => `${e.version}:${e.state}`).join() === '21:READY';
    });
    // Unloaded versions leave /metrics, so months of swaps do not grow it without bound.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(!/version="(1|2|10|20)"/.test(metrics), 'no series of unloaded versions');
    assert.ok(metrics.includes('skein_model_version_state{model="m",version="21",state="ready"} 1'));
  });

  test('a corrupt new version never takes traffic; the previous keeps serving and the failure is visible', async () => {
    await publishVersion(server.repo, 'm', 22, brokenModelBytes());
    await until('version 22 failed', async () => {
      const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { version: string; state: string }[];
      return index.some((e) => e.version === '22' && e.state === 'UNAVAILABLE');
    });
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { version: string; state: string; reason?: string }[];
    const broken = index.find((e) => e.version === '22')!;
    assert.ok(broken.reason && broken.reason.length > 0, 'the index says why');
    assert.ok(!broken.reason.includes(server.repo), 'the reason does not show server paths');
    for (let i = 0; i < 20; i++) {
      const r = await postJson(`${server.url}/v2/models/m/infer`, fp32Rows([[0, 0, 0, 0]]));
      assert.equal(r.status, 200);
      assert.equal(r.body.model_version, '21');
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(metrics.includes('skein_model_load_failures_total{model="m",version="22"} 1'));
    // Readiness stays true: version 21 serves the model.
    assert.equal((await getJson(`${server.url}/v2/health/ready`)).status, 200);
  });

  test('a half-written version directory (hidden, or without its model file) is never loaded', async () => {
    await mkdir(join(server.repo, 'm', '.tmp-30'), { recursive: true });
    await writeFile(join(server.repo, 'm', '.tmp-30', 'model.onnx'), addModel(30).subarray(0, 10));
    await mkdir(join(server.repo, 'm', '31'), { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { version: string }[];
    assert.ok(!index.some((e) => e.version === '30' || e.version === '31'));
    await rm(join(server.repo, 'm', '31'), { recursive: true });
  });
});

describe('explicit mode: load and unload by API', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'a', 1, addModel(1));
    await writeModel(repo, 'b', 1, addModel(2));
    server = await startTestServer(repo, { modelControlMode: 'explicit', insecureModelControl: true, loadModels: ['a'] });
  });
  after(() => server.close());

  test('only the models named at start are loaded; the index lists the others as unloaded', async () => {
    assert.equal((await getJson(`${server.url}/v2/models/a/ready`)).status, 200);
    const b = await postJson(`${server.url}/v2/models/b/infer`, fp32Rows([[1, 1, 1, 1]]));
    assert.equal(b.status, 404);
    assert.equal(b.body.code, 'MODEL_NOT_FOUND');
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as { name: string; state: string }[];
    assert.deepEqual(index.map((e) => `${e.name}:${e.state}`), ['a:READY', 'b:UNAVAILABLE']);
  });

  test('load makes a model ready, unload removes it, a missing one is MODEL_NOT_FOUND', async () => {
    assert.equal((await postJson(`${server.url}/v2/repository/models/b/load`, {})).status, 200);
    const r = await postJson(`${server.url}/v2/models/b/infer`, fp32Rows([[1, 1, 1, 1]]));
    assert.deepEqual(r.body.outputs[0].data, [3, 3, 3, 3]);
    assert.equal((await postJson(`${server.url}/v2/repository/models/b/unload`, {})).status, 200);
    assert.equal((await postJson(`${server.url}/v2/models/b/infer`, fp32Rows([[1, 1, 1, 1]]))).status, 404);
    const missing = await postJson(`${server.url}/v2/repository/models/nope/load`, {});
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'MODEL_NOT_FOUND');
  });

  test('loading a model whose only version is corrupt fails with MODEL_LOAD_FAILED and a reason', async () => {
    await writeModel(server.repo, 'c', 1, brokenModelBytes());
    const r = await postJson(`${server.url}/v2/repository/models/c/load`, {});
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'MODEL_LOAD_FAILED');
    assert.equal((await getJson(`${server.url}/v2/models/a/ready`)).status, 200, 'other models keep serving');
  });

  test('a load path cannot escape the repository', async () => {
    for (const name of ['..', '..%2F..%2Fetc', '%2e%2e']) {
      const r = await postJson(`${server.url}/v2/repository/models/${name}/load`, {});
      assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status}`);
      assert.ok(['INVALID_MODEL_NAME', 'ROUTE_NOT_FOUND', 'MODEL_NOT_FOUND'].includes(r.body.code), `${name}: ${r.body.code}`);
    }
  });
});

describe('none mode', () => {
  test('load and unload answer CONTROL_DISABLED', async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'a', 1, addModel(1));
    const server = await startTestServer(repo);
    try {
      const r = await postJson(`${server.url}/v2/repository/models/a/load`, {});
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'CONTROL_DISABLED');
    } finally {
      await server.close();
    }
  });
});
