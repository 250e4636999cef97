import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, InferenceClientError } from '../../src/index.js';
import { addModel, writeModel } from '../helpers/models.js';
import { makePki } from '../helpers/pki.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });

function postHttps(port: number, ca: Buffer, client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/v2/models/m/infer', method: 'POST', ca: [ca], agent: false, ...client }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('skein serve over TLS and mutual TLS, REST and gRPC', () => {
  let dir: string;
  let tls: TestServer;
  let mtls: TestServer;
  const pem = (name: string): Buffer => readFileSync(join(dir, name));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-pki-'));
    makePki(dir);
    const repoA = await tempRepo();
    await writeModel(repoA, 'm', 1, addModel(1));
    tls = await startTestServer(repoA, { tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') } });
    const repoB = await tempRepo();
    await writeModel(repoB, 'm', 1, addModel(1));
    mtls = await startTestServer(repoB, {
      tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), requireClientCert: true },
    });
  });
  after(async () => {
    await tls.close();
    await mtls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('REST answers over HTTPS to a client that trusts the CA', async () => {
    const r = await postHttps(tls.httpPort, pem('ca.crt'));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text).outputs[0].data, [2, 3, 4, 5]);
  });

  test('gRPC answers over TLS, and plain-text gRPC is refused', async () => {
    const client = createGrpcClient({ address: `127.0.0.1:${tls.grpcPort}`, credentials: grpc.credentials.createSsl(pem('ca.crt')), timeoutMs: 5000 });
    const r = await client.infer('m', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.deepEqual(Array.from(r.outputs[0]!.data as Float32Array), [2, 3, 4, 5]);
    await client.close();
    const plain = createGrpcClient({ address: `127.0.0.1:${tls.grpcPort}`, timeoutMs: 2000 });
    await assert.rejects(plain.serverLive(), (err: unknown) => err instanceof InferenceClientError);
    await plain.close();
  });

  test('under mutual TLS a client without a certificate is refused and one with a CA-signed certificate is served (REST and gRPC)', async () => {
    await assert.rejects(postHttps(mtls.httpPort, pem('ca.crt')));
    const ok = await postHttps(mtls.httpPort, pem('ca.crt'), { cert: pem('client.crt'), key: pem('client.key') });
    assert.equal(ok.status, 200, ok.text);
    const anonymous = createGrpcClient({ address: `127.0.0.1:${mtls.grpcPort}`, credentials: grpc.credentials.createSsl(pem('ca.crt')), timeoutMs: 3000 });
    await assert.rejects(anonymous.serverLive(), (err: unknown) => err instanceof InferenceClientError);
    await anonymous.close();
    const signed = createGrpcClient({
      address: `127.0.0.1:${mtls.grpcPort}`,
      credentials: grpc.credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt')),
      timeoutMs: 5000,
    });
    assert.equal(await signed.serverLive(), true);
    await signed.close();
  });
});
