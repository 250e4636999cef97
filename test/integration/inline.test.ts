import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addModel, writeModel } from '../helpers/models.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/**
 * Fast models run lone requests on a main-thread session (runtime.inlineMaxUs). With
 * runtime.inlineIntraOpThreads above 1 that session also waits for runtime.inlineQuietMs without
 * overlapping requests, so it serves one-at-a-time traffic and stays out of concurrent load.
 * skein_inline_executions_total says which path ran.
 */
async function inlineExecs(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('skein_inline_executions_total{model="add",version="1"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

async function sequential(server: TestServer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await postJson(`${server.url}/v2/models/add/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [i, 1, 2, 3] }] });
    assert.equal(r.status, 200);
    assert.deepEqual((r.body as { outputs: { data: number[] }[] }).outputs[0]!.data, [i + 1, 2, 3, 4]);
  }
}

async function concurrent(server: TestServer, n: number): Promise<void> {
  const replies = await Promise.all(Array.from({ length: n }, (_, i) =>
    postJson(`${server.url}/v2/models/add/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [i, 0, 0, 0] }] })));
  replies.forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.deepEqual((r.body as { outputs: { data: number[] }[] }).outputs[0]!.data, [i + 1, 1, 1, 1]);
  });
}

async function serverWith(runtime: string): Promise<TestServer> {
  const repo = await tempRepo();
  // inlineMaxUs at its ceiling: the timing runs on a busy test machine must not decide the test.
  await writeModel(repo, 'add', 1, addModel(1), `runtime: { inlineMaxUs: 10000, ${runtime} }\n`);
  return startTestServer(repo);
}

describe('inline runs with several threads', () => {
  let server: TestServer | undefined;
  after(() => server?.close());

  test('serve one-at-a-time requests, stop once requests overlap, and stay off for the quiet window', async () => {
    server = await serverWith('inlineIntraOpThreads: 2, inlineQuietMs: 600000');
    const before = await inlineExecs(server);
    await sequential(server, 20);
    const alone = await inlineExecs(server);
    assert.ok(alone - before >= 15, `only ${alone - before} of 20 lone requests ran inline`);
    await concurrent(server, 32);
    const afterLoad = await inlineExecs(server);
    await sequential(server, 20);
    assert.equal(await inlineExecs(server), afterLoad, 'lone requests within the quiet window ran inline');
    await server.close();
    server = undefined;
  });

  /** Inline executions among 20 lone requests made right after 32 overlapping ones. */
  async function inlineAfterLoad(runtime: string): Promise<number> {
    server = await serverWith(runtime);
    await concurrent(server, 32);
    const afterLoad = await inlineExecs(server);
    await sequential(server, 20);
    const n = (await inlineExecs(server)) - afterLoad;
    await server.close();
    server = undefined;
    return n;
  }

  test('with a quiet window of 0 they come back as soon as requests are alone again', async () => {
    assert.ok(await inlineAfterLoad('inlineIntraOpThreads: 2, inlineQuietMs: 0') >= 15);
  });

  test('a one-thread inline session ignores the quiet window', async () => {
    assert.ok(await inlineAfterLoad('inlineIntraOpThreads: 1, inlineQuietMs: 600000') >= 15);
  });
});
