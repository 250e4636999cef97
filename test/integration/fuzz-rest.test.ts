import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request } from 'undici';
import { contractBreach, restRequest, writeFuzzModels, type WireRequest } from '../helpers/fuzz-requests.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/**
 * Scenario 9, short variant: generated near-valid requests over REST JSON and the binary
 * extension. Every reply is a 2xx, or a 4xx (or 503 QUEUE_FULL) whose body is `{error, code}`
 * with a code from ERROR_TABLE and that code's status; never another 5xx. bench/reliability/fuzz.ts
 * runs the full 100k over REST and gRPC.
 */
const RUNS = 500;

async function send(url: string, r: WireRequest): Promise<{ status: number; text: string }> {
  const res = await request(`${url}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('REST under generated near-valid requests (scenario 9)', () => {
  let server: TestServer;
  before(async () => {
    const repo = await tempRepo();
    await writeFuzzModels(repo);
    server = await startTestServer(repo, { grpcPort: -1, maxJsonDepth: 64 });
  });
  after(() => server.close());

  test('every reply is a 2xx or a coded 4xx, and the server keeps serving', async () => {
    const counts = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(restRequest, async (r) => {
        const reply = await send(server.url, r);
        counts.set(reply.status, (counts.get(reply.status) ?? 0) + 1);
        assert.equal(contractBreach(reply, r.mutation), undefined, `${r.mutation}: ${reply.status} ${reply.text.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the model, not only the decoder's first checks.
    assert.ok((counts.get(200) ?? 0) >= RUNS / 20, `only ${counts.get(200) ?? 0} of ${RUNS} requests were served`);
    assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200);
    const ok = await postJson(`${server.url}/v2/models/two/infer`, {
      inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 5, 2] }, { name: 'b', datatype: 'INT64', shape: [1, 1], data: [1] }],
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.outputs.map((o: { data: unknown }) => o.data), [[2, 6, 3], [1]]);
  });

  test('the contract check itself refuses an uncoded body, a wrong status and a 500', () => {
    assert.equal(contractBreach({ status: 400, text: '{"error":"x","code":"INVALID_JSON"}' }), undefined);
    assert.equal(contractBreach({ status: 503, text: '{"error":"x","code":"QUEUE_FULL"}' }), undefined);
    assert.match(contractBreach({ status: 400, text: 'bad' }) ?? '', /not JSON/);
    assert.match(contractBreach({ status: 404, text: '{"error":"x","code":"INVALID_JSON"}' }) ?? '', /status 404/);
    assert.match(contractBreach({ status: 500, text: '{"error":"x","code":"INTERNAL"}' }) ?? '', /server error/);
    assert.match(contractBreach({ status: 504, text: '{"error":"x","code":"DEADLINE_EXCEEDED"}' }, 'json:none') ?? '', /server error/);
    assert.equal(contractBreach({ status: 504, text: '{"error":"x","code":"DEADLINE_EXCEEDED"}' }, 'json:parameters'), undefined);
    assert.match(contractBreach({ status: 400, text: '{"message":"x"}' }) ?? '', /without/);
  });
});
