import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ServingError } from '../errors/index.js';
import type { JwtOptions } from './types.js';

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
const MIN_HS256_SECRET_BYTES = 32;
/** How long a JWKS fetch may take before the token is refused (fails closed). */
const JWKS_TIMEOUT_MS = 5_000;
/** Least time between two JWKS refetches triggered by an unknown `kid`. */
const JWKS_COOLDOWN_MS = 30_000;
const MAX_SCOPES = 256;

export interface TokenClaims {
  subject: string;
  scopes: string[];
}

export interface JwtVerifier {
  /** Resolves with subject and scopes; rejects (any error) when the token must be refused. */
  verify(token: string, nowMs: number): Promise<TokenClaims>;
}

/** Why a token was refused, for logs only (never sent: callers see "invalid credential"). */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function createJwtVerifier(options: JwtOptions): JwtVerifier {
  const { secret, rsa, algorithms } = loadKeys(options);
  if (!(options.maxTokenAgeS > 0) || !(options.clockToleranceS >= 0)) {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt.maxTokenAgeS must be > 0 and auth.jwt.clockToleranceS >= 0');
  }
  // One key per algorithm, so an RS256 public key can never verify an HS256 token (alg confusion).
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret !== undefined) return secret;
    if (header.alg === 'RS256' && rsa !== undefined) return typeof rsa === 'function' ? rsa(header, token) : rsa;
    throw new TokenRejected('algorithm not configured');
  };
  return {
    async verify(token, nowMs) {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms,
        currentDate: new Date(nowMs),
        clockTolerance: options.clockToleranceS,
        requiredClaims: ['exp', 'iat', 'sub'],
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      });
      const exp = payload.exp as number;
      const iat = payload.iat as number;
      if (exp - iat > options.maxTokenAgeS) throw new TokenRejected('lifetime above maxTokenAgeS');
      if (iat * 1000 > nowMs + options.clockToleranceS * 1000) throw new TokenRejected('issued in the future');
      return { subject: payload.sub as string, scopes: scopesOf(payload) };
    },
  };
}

function loadKeys(options: JwtOptions): {
  secret: Uint8Array | undefined;
  rsa: KeyObject | JWTVerifyGetKey | undefined;
  algorithms: string[];
} {
  let secret: Uint8Array | undefined;
  if (options.hs256Secret !== undefined) {
    secret = new TextEncoder().encode(options.hs256Secret);
    if (secret.length < MIN_HS256_SECRET_BYTES) {
      throw new ServingError('INVALID_CONFIG', `auth.jwt.hs256Secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
    }
  }
  if (options.publicKeyPem !== undefined && options.jwksUrl !== undefined) {
    throw new ServingError('INVALID_CONFIG', 'set one of auth.jwt.publicKeyPem and auth.jwt.jwksUrl, not both');
  }
  let rsa: KeyObject | JWTVerifyGetKey | undefined;
  if (options.publicKeyPem !== undefined) rsa = rsaPublicKey(options.publicKeyPem);
  if (options.jwksUrl !== undefined) rsa = remoteKeys(options.jwksUrl);
  const algorithms = [...(secret ? ['HS256'] : []), ...(rsa ? ['RS256'] : [])];
  if (algorithms.length === 0) {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt needs hs256Secret, publicKeyPem or jwksUrl');
  }
  return { secret, rsa, algorithms };
}

function rsaPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt.publicKeyPem is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt.publicKeyPem must be an RSA key (RS256)');
  }
  return key;
}

function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt.jwksUrl is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ServingError('INVALID_CONFIG', 'auth.jwt.jwksUrl must be an http or https URL');
  }
  return createRemoteJWKSet(url, { timeoutDuration: JWKS_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS });
}

/** Scopes from `scope` (space-separated, RFC 8693) and/or `scopes` (array); malformed → refused. */
function scopesOf(payload: JWTPayload): string[] {
  const scopes: string[] = [];
  const { scope, scopes: list } = payload as { scope?: unknown; scopes?: unknown };
  if (scope !== undefined) {
    if (typeof scope !== 'string') throw new TokenRejected('scope claim is not a string');
    scopes.push(...scope.split(' ').filter((s) => s.length > 0));
  }
  if (list !== undefined) {
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new TokenRejected('scopes claim is not a string array');
    scopes.push(...(list as string[]));
  }
  if (scopes.length > MAX_SCOPES) throw new TokenRejected('too many scopes');
  return scopes;
}
