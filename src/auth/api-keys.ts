import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ServingError } from '../errors/index.js';
import type { ApiKeyEntry } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Prefix that makes Skein keys recognisable to secret scanners and in support tickets. */
const KEY_PREFIX = 'sk_';

/** Hex SHA-256 of an API key: what the config stores instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key (256 bits, base64url) and the hash to put in the config. Show the key once. */
export function generateApiKey(): { key: string; sha256: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, sha256: hashApiKey(key) };
}

interface StoredKey {
  id: string;
  digest: Buffer;
  scopes: string[];
  notAfterMs: number;
}

export interface ApiKeyMatch {
  id: string;
  scopes: string[];
}

/**
 * Checks presented keys against the configured hashes. Comparing digests (fixed 32 bytes) with
 * timingSafeEqual against every configured key, with no early exit, keeps the time independent
 * of which key matched, of how many prefix bytes a guess shares, and of the key's length.
 */
export interface ApiKeyVerifier {
  /** The matching key's id and scopes, or undefined when none matches or it is past notAfter. */
  verify(presented: string, nowMs: number): ApiKeyMatch | undefined;
}

export function createApiKeyVerifier(entries: readonly ApiKeyEntry[]): ApiKeyVerifier {
  const stored = entries.map(toStoredKey);
  const ids = new Set<string>();
  for (const key of stored) {
    if (ids.has(key.id)) throw new ServingError('INVALID_CONFIG', 'auth.apiKeys: two keys share an id; give each key its own id');
    ids.add(key.id);
  }
  return {
    verify(presented, nowMs) {
      const digest = createHash('sha256').update(presented, 'utf8').digest();
      let match: StoredKey | undefined;
      for (const key of stored) {
        const equal = timingSafeEqual(digest, key.digest);
        if (equal) match = key;
      }
      if (match === undefined || nowMs > match.notAfterMs) return undefined;
      return { id: match.id, scopes: match.scopes };
    },
  };
}

function toStoredKey(entry: ApiKeyEntry): StoredKey {
  if (entry.id.length === 0 || entry.id.length > 64) {
    throw new ServingError('INVALID_CONFIG', 'auth.apiKeys[].id must be 1-64 characters');
  }
  const hex = entry.sha256.toLowerCase();
  if (!SHA256_HEX.test(hex)) {
    throw new ServingError('INVALID_CONFIG', 'auth.apiKeys[].sha256 must be 64 hex characters: the sha256 of the key (see `skein keys new`)');
  }
  let notAfterMs = Number.POSITIVE_INFINITY;
  if (entry.notAfter !== undefined) {
    notAfterMs = Date.parse(entry.notAfter);
    if (Number.isNaN(notAfterMs)) {
      throw new ServingError('INVALID_CONFIG', 'auth.apiKeys[].notAfter must be an ISO 8601 instant such as 2030-01-31T00:00:00Z');
    }
  }
  return { id: entry.id, digest: Buffer.from(hex, 'hex'), scopes: [...entry.scopes], notAfterMs };
}
