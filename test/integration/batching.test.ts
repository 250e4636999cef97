import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { slowModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const ONE_INSTANCE = 'maxBatchSize: 64\nbatching:\n  maxQueueSize: 8\nruntime:\n  instances: 1\n';

/** Waits (bounded) until the server reports `n` requests in flight for a model. */
async function untilInflight(server: TestServer, model: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`skein_inflight_requests{model="${model}"`));
    if (line && Number(line.split(' ').pop()) >= n) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never saw ${n} in flight`);
}

describe('dynamic batching, queue bound and deadlines on a real model', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'slow', 1, slowModel(10), 'maxBatchSize: 64\nruntime:\n  instances: 1\n');
    await writeModel(repo, 'slower', 1, slowModel(60), ONE_INSTANCE);
    server = await startTestServer(repo);
  });
  after(() => server.close());

  test('requests that arrive together run as one batch and each caller gets its own rows', async () => {
    const n = 48;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => postJson(`${server.url}/v2/models/slow/infer`, fp32Rows([[i, i + 0.5, -(i + 1), i * 2]]))));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.outputs[0].data, [i, i + 0.5, -(i + 1), i * 2]);
    });
    const stats = (await getJson(`${server.url}/v2/models/slow/stats`)).body.model_stats[0];
    assert.equal(stats.inference_count, n);
    assert.ok(stats.execution_count < n, `expected batches to form, got ${stats.execution_count} executions for ${n} requests`);
    assert.ok(stats.batch_stats.some((b: { batch_size: number }) => b.batch_size > 1));
  });

  test('with one request running and a queue bound of 8, exactly 2 of 10 more get 503 QUEUE_FULL', async () => {
    const first = postJson(`${server.url}/v2/models/slower/infer`, fp32Rows([[1, 2, 3, 4]]));
    await untilInflight(server, 'slower', 1);
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => postJson(`${server.url}/v2/models/slower/infer`, fp32Rows([[i, 0, 0, 0]]))));
    assert.equal((await first).status, 200);
    const full = more.filter((r) => r.status === 503);
    assert.equal(full.length, 2);
    for (const r of full) {
      assert.equal(r.body.code, 'QUEUE_FULL');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    assert.equal(more.filter((r) => r.status === 200).length, 8);
  });

  test('a request whose deadline passes in the queue gets DEADLINE_EXCEEDED and is never executed', async () => {
    const before = (await getJson(`${server.url}/v2/models/slower/stats`)).body.model_stats[0].inference_count;
    const first = postJson(`${server.url}/v2/models/slower/infer`, fp32Rows([[1, 2, 3, 4]]));
    await untilInflight(server, 'slower', 1);
    // parameters.timeout is Triton's queue timeout in microseconds: 5 ms here.
    const late = await postJson(`${server.url}/v2/models/slower/infer`, { ...fp32Rows([[9, 9, 9, 9]]), parameters: { timeout: 5000 } });
    assert.equal(late.status, 504);
    assert.equal(late.body.code, 'DEADLINE_EXCEEDED');
    assert.equal((await first).status, 200);
    const afterCount = (await getJson(`${server.url}/v2/models/slower/stats`)).body.model_stats[0].inference_count;
    assert.equal(afterCount - before, 1, 'only the first request ran');
  });

  test('a timeout longer than a timer can wait (over 24.8 days) means no timeout, not an instant expiry', async () => {
    const first = postJson(`${server.url}/v2/models/slower/infer`, fp32Rows([[1, 2, 3, 4]]));
    await untilInflight(server, 'slower', 1);
    const r = await postJson(`${server.url}/v2/models/slower/infer`, { ...fp32Rows([[5, 6, 7, 8]]), parameters: { timeout: 3e12 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await first).status, 200);
  });

  test('metrics expose request counts, latency histograms, batch sizes and queue depth per version', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'nv_inference_request_success{model="slow",version="1"}',
      'nv_inference_request_failure{model="slower",version="1",reason="REJECTED"}',
      'nv_inference_exec_count{model="slow",version="1"}',
      'skein_request_duration_seconds_bucket{le="0.005",model="slow",version="1"}',
      'skein_queue_duration_seconds_count{model="slow",version="1"}',
      'skein_compute_duration_seconds_count{model="slow",version="1"}',
      'skein_batch_size_bucket{le="1",model="slow",version="1"}',
      'nv_inference_pending_request_count{model="slow",version="1"}',
      'skein_model_version_state{model="slow",version="1",state="ready"} 1',
      'skein_requests_total{model="slower",version="1",code="QUEUE_FULL"} 2',
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
  });
});
