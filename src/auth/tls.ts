import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ServingError } from '../errors/index.js';

export interface TlsOptions {
  /** PEM certificate chain of the server (leaf first). */
  certFile: string;
  /** PEM private key of the server certificate. */
  keyFile: string;
  /** PEM CA bundle that client certificates must chain to; required with requireClientCert. */
  caFile?: string | undefined;
  /** Mutual TLS: refuse connections without a client certificate signed by caFile. */
  requireClientCert: boolean;
}

export interface TlsMaterial {
  /** Spread into fastify's `https` option (node's tls.createServer options). */
  https: {
    cert: Buffer;
    key: Buffer;
    ca?: Buffer;
    requestCert: boolean;
    rejectUnauthorized: boolean;
    minVersion: 'TLSv1.2';
  };
  /** Arguments of @grpc/grpc-js ServerCredentials.createSsl(rootCerts, keyCertPairs, checkClientCertificate). */
  grpc: {
    rootCerts: Buffer | null;
    keyCertPairs: { private_key: Buffer; cert_chain: Buffer }[];
    checkClientCertificate: boolean;
  };
}

/**
 * Reads the PEM files once at startup and checks that key and certificate belong together, so a
 * wrong file fails the start with INVALID_CONFIG instead of failing every handshake later.
 * Certificates are not reloaded; restart (rolling) to rotate them.
 */
export function loadTls(options: TlsOptions): TlsMaterial {
  if (options.requireClientCert && options.caFile === undefined) {
    throw new ServingError('INVALID_CONFIG', 'tls.requireClientCert needs tls.caFile: the CA that signs client certificates');
  }
  const cert = readPem(options.certFile, 'tls.certFile');
  const key = readPem(options.keyFile, 'tls.keyFile');
  const ca = options.caFile === undefined ? undefined : readPem(options.caFile, 'tls.caFile');
  try {
    createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
  } catch {
    throw new ServingError('INVALID_CONFIG', 'tls.certFile and tls.keyFile do not form a valid certificate and key pair');
  }
  return {
    https: {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      requestCert: options.requireClientCert,
      rejectUnauthorized: options.requireClientCert,
      minVersion: 'TLSv1.2',
    },
    grpc: {
      rootCerts: ca ?? null,
      keyCertPairs: [{ private_key: key, cert_chain: cert }],
      checkClientCertificate: options.requireClientCert,
    },
  };
}

function readPem(file: string, key: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new ServingError('INVALID_CONFIG', `${key} cannot be read; check the path and its permissions`);
  }
  if (!bytes.includes('-----BEGIN ')) {
    throw new ServingError('INVALID_CONFIG', `${key} is not a PEM file`);
  }
  return bytes;
}
