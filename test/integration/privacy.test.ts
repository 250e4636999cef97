import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { generateApiKey } from '../../src/auth/index.js';
import { createLogger } from '../../src/monitoring/index.js';
import { luhnValid } from '../../src/privacy/index.js';
import { connectGrpc, failureOf, type TestClient } from '../helpers/grpc-client.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/**
 * Scenario 18: a real server (REST and gRPC, auth on, debug logs, payload logging at rate 1)
 * receives 1,000 requests carrying fake e-mails, card numbers and bearer tokens in every place a
 * caller controls. Every log line and every error body and message is captured: none may hold
 * one of them, in any of the forms a URL or header gives it.
 */
const REQUESTS = 1_000;
const KINDS = 9;
/** Kinds that succeed, so each writes exactly one payload line. */
const SERVED_KINDS = new Set([0, 4, 5]);
/** Kinds that send an unknown input named after a secret (REST and gRPC). */
const NAME_KINDS = new Set([3, 7]);

interface Canaries {
  email: string;
  card: string;
  token: string;
}

/** A Luhn-valid 16-digit number whose digits depend on i, shown with spaces, dashes or none. */
function cardFor(i: number): string {
  const body = `4${String(i * 7919 + 100_003).padStart(14, '0')}`.slice(0, 15);
  const digits = [...Array(10).keys()].map((d) => `${body}${d}`).find(luhnValid) as string;
  const sep = ['', ' ', '-'][i % 3] as string;
  return sep ? (digits.match(/.{4}/g) as string[]).join(sep) : digits;
}

function canariesFor(i: number): Canaries {
  // Half the tokens look like JWTs, half like opaque API keys.
  const opaque = Buffer.from(`secret-token-${i}-${i * 31}-xyzzy`).toString('base64url');
  const token = i % 2 === 0 ? opaque : `eyJ${Buffer.from(`{"alg":"HS256","n":${i}}`).toString('base64url')}.eyJ${opaque}.c2ln${i}`;
  return { email: `jane.doe${i}@shop${i % 5}.example.com`, card: cardFor(i), token };
}

/** Every form in which a canary could reach a log: as sent, URL-encoded, form-encoded, digits only. */
function formsOf(c: Canaries): string[] {
  const digits = c.card.replace(/\D/g, '');
  return [c.email, encodeURIComponent(c.email), c.card, encodeURIComponent(c.card), c.card.replaceAll(' ', '+'), digits, c.token];
}

function memoryLogger() {
  const chunks: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString()); done(); } });
  return { logger: createLogger({ level: 'debug', destination }), text: () => chunks.join('') };
}

const bytesInput = (c: Canaries, name = 'x') => ({
  name, datatype: 'BYTES', shape: [1, 4], data: [c.email, c.card, `Bearer ${c.token}`, `ship to ${c.email}, pay ${c.card}`],
});

describe('no e-mail, card number or bearer token reaches a log or an error (scenario 18)', () => {
  let server: TestServer;
  let grpc: TestClient;
  let logs: () => string;
  const key = generateApiKey();
  const errors: { kind: number; text: string }[] = [];
  const forms: string[] = [];
  let served = 0;

  before(async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'text', 1, identityModel('BYTES'));
    const memory = memoryLogger();
    logs = memory.text;
    server = await startTestServer(repo, {
      logRequests: true,
      auth: { enabled: true, apiKeys: [{ id: 'privacy-test', sha256: key.sha256, scopes: ['infer:*'] }] },
      payloadLog: { enabled: true, sampleRate: 1 },
    }, { logger: memory.logger });
    grpc = connectGrpc(server.grpcPort);
  });
  after(async () => {
    grpc.close();
    await server.close();
  });

  async function rest(i: number, c: Canaries): Promise<number> {
    const query = new URLSearchParams({ email: c.email, card: c.card, auth: `Bearer ${c.token}` }).toString();
    const valid = { 'x-api-key': key.key };
    const plan: Record<number, { path: string; headers: Record<string, string>; body: unknown }> = {
      0: { path: `/v2/models/text/infer?${query}`, headers: { ...valid, 'x-request-id': c.email }, body: { id: `order of ${c.email} ${c.card}`, inputs: [bytesInput(c)] } },
      1: { path: `/v2/models/text/infer?${query}`, headers: { authorization: `Bearer ${c.token}` }, body: { inputs: [bytesInput(c)] } },
      2: { path: `/v2/models/text/infer?card=${encodeURIComponent(c.card)}`, headers: { 'x-api-key': c.token }, body: { inputs: [bytesInput(c)] } },
      3: { path: '/v2/models/text/infer', headers: valid, body: { id: c.email, inputs: [bytesInput(c, c.email)] } },
      4: { path: `/v2/models/text/infer?${query}`, headers: { authorization: `Bearer ${key.key}`, 'user-agent': c.email }, body: { id: c.card, inputs: [bytesInput(c)] } },
    };
    const p = plan[i % KINDS] as (typeof plan)[0];
    const res = await fetch(`${server.url}${p.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...p.headers }, body: JSON.stringify(p.body) });
    const text = await res.text();
    if (!res.ok) {
      errors.push({ kind: i % KINDS, text });
      const body = JSON.parse(text) as { error: unknown; code: unknown };
      assert.deepEqual(Object.keys(body).sort(), ['code', 'error']);
    }
    return res.status;
  }

  async function overGrpc(i: number, c: Canaries): Promise<number> {
    const bytes = bytesInput(c, i % KINDS === 7 ? c.email : 'x');
    const request = { model_name: 'text', id: `${c.email} ${c.card}`, inputs: [{ ...bytes, data: undefined, contents: { bytes_contents: bytes.data.map((s) => Buffer.from(s)) } }] };
    const metadata: Record<string, string> = i % KINDS === 6 ? { authorization: `Bearer ${c.token}` } : { 'x-api-key': key.key, 'x-note': c.email };
    try {
      await grpc.call('ModelInfer', request, { metadata });
      return 0;
    } catch (err) {
      const f = failureOf(err);
      errors.push({ kind: i % KINDS, text: `${f.details} ${f.skeinCode}` });
      return f.code;
    }
  }

  async function metadataRoute(i: number, c: Canaries): Promise<number> {
    const res = await fetch(`${server.url}/v2/models/${encodeURIComponent(c.email)}?token=${encodeURIComponent(`Bearer ${c.token}`)}`, { headers: { 'x-api-key': key.key } });
    const text = await res.text();
    if (!res.ok) errors.push({ kind: i % KINDS, text });
    return res.status;
  }

  test('1,000 requests over REST and gRPC leave none of their secrets in logs or error bodies', async () => {
    const expected: Record<number, number> = { 0: 200, 1: 401, 2: 401, 3: 400, 4: 200, 5: 0, 6: 16, 7: 3, 8: 400 };
    for (let i = 0; i < REQUESTS; i++) {
      const c = canariesFor(i);
      forms.push(...formsOf(c));
      const kind = i % KINDS;
      const status = kind <= 4 ? await rest(i, c) : kind <= 7 ? await overGrpc(i, c) : await metadataRoute(i, c);
      assert.equal(status, expected[kind], `request ${i} (kind ${kind})`);
      if (SERVED_KINDS.has(kind)) served++;
    }
    const text = logs();
    const leakedInLogs = forms.filter((f) => text.includes(f));
    assert.deepEqual(leakedInLogs.slice(0, 5), [], 'log lines hold request secrets');
    const bodies = errors.filter((e) => !NAME_KINDS.has(e.kind)).map((e) => e.text).join('\n');
    const leakedInErrors = forms.filter((f) => bodies.includes(f));
    assert.deepEqual(leakedInErrors.slice(0, 5), [], 'error bodies hold request secrets');
    // The secrets did reach the logger, and were redacted rather than never written.
    assert.ok(text.includes('[REDACTED len='));
  });

  // UNKNOWN_INPUT quotes the input name; both transports redact messages on the way out.
  test('error bodies never quote a secret sent as an input name', () => {
    const bodies = errors.filter((e) => NAME_KINDS.has(e.kind)).map((e) => e.text);
    assert.ok(bodies.length > 0);
    assert.ok(bodies.every((b) => b.includes('UNKNOWN_INPUT')), 'each is refused as an unknown input');
    const text = bodies.join('\n');
    assert.deepEqual(forms.filter((f) => text.includes(f)).slice(0, 5), []);
  });

  test('each served request wrote one payload line, with previews redacted', () => {
    const lines = logs().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, any>);
    const payloads = lines.filter((l) => l.msg === 'payload');
    assert.equal(payloads.length, served);
    assert.ok(served > 0);
    const first = payloads[0] as Record<string, any>;
    assert.equal(first.model, 'text');
    assert.equal(first.version, '1');
    assert.deepEqual(first.inputs[0].shape, [1, 4]);
    assert.equal(first.inputs[0].count, 4);
    assert.match(first.inputs[0].preview[0], /^\[REDACTED len=\d+ sha256=[0-9a-f]{8}\]$/);
    assert.equal(first.outputs[0].name, 'y');
  });
});

describe('payload logging off (the default)', () => {
  test('served requests write request lines but no payload line', async () => {
    const repo = await tempRepo();
    await writeModel(repo, 'text', 1, identityModel('BYTES'));
    const memory = memoryLogger();
    const server = await startTestServer(repo, { logRequests: true }, { logger: memory.logger });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${server.url}/v2/models/text/infer`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [bytesInput(canariesFor(i))] }),
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
    } finally {
      await server.close();
    }
    const lines = memory.text().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { msg?: string });
    assert.equal(lines.filter((l) => l.msg === 'payload').length, 0);
    assert.ok(lines.filter((l) => l.msg === 'request completed').length >= 20);
  });
});
