import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { ServingError } from '../errors/index.js';
import { loadTls, type TlsOptions } from './index.js';
import { makePki } from '../../test/helpers/pki.js';

let dir: string;
const file = (name: string): string => join(dir, name);
const servers: https.Server[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-tls-'));
  makePki(dir);
});
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(options: TlsOptions): Promise<number> {
  const server = https.createServer(loadTls(options).https, (_req, res) => res.end('ok'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function get(port: number, withClientCert: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/', ca: [readFileSync(file('ca.crt'))], agent: false,
      ...(withClientCert ? { cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

const base = (): TlsOptions => ({ certFile: file('server.crt'), keyFile: file('server.key'), requireClientCert: false });

describe('loadTls', () => {
  test('serves HTTPS that a client trusting the CA can reach', async () => {
    const port = await serve(base());
    assert.equal(await get(port, false), 'ok');
  });

  test('with requireClientCert a client without a certificate is refused and one with a CA-signed certificate is served', async () => {
    const port = await serve({ ...base(), caFile: file('ca.crt'), requireClientCert: true });
    await assert.rejects(get(port, false));
    assert.equal(await get(port, true), 'ok');
  });

  test('gives grpc-js what ServerCredentials.createSsl takes, checking client certificates under mTLS', () => {
    const { grpc } = loadTls({ ...base(), caFile: file('ca.crt'), requireClientCert: true });
    assert.equal(grpc.checkClientCertificate, true);
    assert.ok(grpc.rootCerts);
    const credentials = ServerCredentials.createSsl(grpc.rootCerts, grpc.keyCertPairs, grpc.checkClientCertificate);
    assert.equal(credentials._isSecure(), true);
    assert.equal(loadTls(base()).grpc.rootCerts, null);
  });

  test('a missing file, a non-PEM file, a key of another certificate or mTLS without a CA is INVALID_CONFIG', () => {
    writeFileSync(file('junk.pem'), 'not pem');
    const bad: TlsOptions[] = [
      { ...base(), certFile: file('absent.crt') },
      { ...base(), keyFile: file('junk.pem') },
      { ...base(), keyFile: file('client.key') },
      { ...base(), requireClientCert: true },
    ];
    for (const options of bad) {
      assert.throws(() => loadTls(options), (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG' && !e.message.includes(dir));
    }
  });
});
