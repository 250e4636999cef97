import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { rm } from 'node:fs/promises';
import { slowModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, tempRepo } from '../helpers/server.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

test('SIGTERM with requests queued and running: ready turns 503 at once, every request is answered, exit 0', async () => {
  const repo = await tempRepo();
  await writeModel(repo, 'slow', 1, slowModel(30), 'maxBatchSize: 1\nruntime:\n  instances: 1\n');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--model-repository', repo, '--http-port', '0', '--grpc-port', '-1', '--host', '127.0.0.1', '--workers', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let port = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'skein is serving') {
        port = entry.port!;
        break;
      }
    }
    child.stdout!.resume();
    const url = `http://127.0.0.1:${port}`;
    // maxBatchSize 1 and one instance: these run one after another, most of them queued.
    const inflight = Array.from({ length: 6 }, (_, i) => postJson(`${url}/v2/models/slow/infer`, fp32Rows([[i, i, i, i]])));
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 10));
    const ready = await getJson(`${url}/v2/health/ready`).catch(() => ({ status: 503 }));
    assert.equal(ready.status, 503, 'ready is false while draining');
    const replies = await Promise.all(inflight);
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.outputs[0].data, [i, i, i, i]);
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
});
