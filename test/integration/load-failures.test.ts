import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphBuilder } from '../../src/builder/index.js';
import { addModel, brokenModelBytes, slowModel, writeModel } from '../helpers/models.js';
import { fp32Rows, postJson, startTestServer, tempRepo, type TestServer, publishVersion } from '../helpers/server.js';

/** RELIABILITY.md scenario 2: a new version that is corrupt, throws on load, or hangs, loaded under traffic. */
const unknownOperator = () =>
  createGraphBuilder({ name: 'bad' }).input('x', 'FP32', ['batch', 4]).node('NoSuchOperator', ['x'], ['y']).output('y', 'FP32', ['batch', 4]).toBytes();

type IndexRow = { version: string; state: string; reason: string };

describe('versions that fail to load under traffic never take it', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    // Warmup runs 20 times per instance: cheap for the add model, seconds for the slow one.
    await writeModel(repo, 'm', 1, addModel(1), 'loadTimeoutMs: 2000\nwarmup:\n  count: 20\n');
    server = await startTestServer(repo, { modelControlMode: 'poll', repositoryPollIntervalMs: 50 });
  });
  after(() => server.close());

  test('corrupt, throwing and hanging versions each fail with a reason while version 1 answers every request', async () => {
    let stop = false;
    const replies: { status: number; version: string }[] = [];
    const client = async () => {
      while (!stop) {
        const r = await postJson(`${server.url}/v2/models/m/infer`, fp32Rows([[1, 1, 1, 1]]));
        replies.push({ status: r.status, version: r.body.model_version ?? r.body.code });
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const cases: [number, Uint8Array, RegExp][] = [
      [2, brokenModelBytes(), /./],
      [3, unknownOperator(), /NoSuchOperator/],
      [4, slowModel(80), /loadTimeoutMs \(2000 ms\)/],
    ];
    for (const [version, bytes, reason] of cases) {
      await publishVersion(server.repo, 'm', version, bytes);
      let row: IndexRow | undefined;
      for (let i = 0; i < 200 && !row; i++) {
        const index = (await postJson(`${server.url}/v2/repository/index`, {})).body as IndexRow[];
        row = index.find((e) => e.version === String(version) && e.state === 'UNAVAILABLE');
        if (!row) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(row, `version ${version} failed`);
      assert.match(row.reason, reason);
    }
    stop = true;
    await Promise.all(clients);
    assert.ok(replies.length > 20);
    assert.deepEqual(replies.filter((r) => r.status !== 200 || r.version !== '1'), []);
  });
});
