import { ServingError } from '../errors/index.js';
import { createApiKeyVerifier, type ApiKeyVerifier } from './api-keys.js';
import { createJwtVerifier, TokenRejected, type JwtVerifier } from './jwt.js';
import { createMemoryRateLimiter } from './rate-limit.js';
import type { Action, AuthOptions, CredentialHeaders, Guard, Principal, RateLimiter } from './types.js';

/** Longest credential header value looked at; longer ones are refused unread. */
const MAX_CREDENTIAL_CHARS = 8_192;

export interface GuardDependencies {
  /** Wall-clock epoch milliseconds, for key notAfter and token exp/iat. */
  nowMs?: () => number;
  /** Replaces the in-memory limiter (for example a shared one over Redis). */
  rateLimiter?: RateLimiter;
}

const missing = (): ServingError =>
  new ServingError('UNAUTHENTICATED', 'missing credential: send Authorization: Bearer <token> or x-api-key');
const invalid = (reason: string): ServingError =>
  new ServingError('UNAUTHENTICATED', 'invalid credential', { reason });

/** Builds the guard; throws INVALID_CONFIG when auth is enabled with nothing to check against. */
export function createGuard(options: AuthOptions, deps: GuardDependencies = {}): Guard {
  if (!options.enabled) {
    return { enabled: false, check: async () => undefined };
  }
  if (options.apiKeys.length === 0 && options.jwt === undefined) {
    throw new ServingError('INVALID_CONFIG', 'auth is enabled but neither auth.apiKeys nor auth.jwt is configured');
  }
  const nowMs = deps.nowMs ?? Date.now;
  const keys = createApiKeyVerifier(options.apiKeys);
  const tokens = options.jwt === undefined ? undefined : createJwtVerifier(options.jwt);
  const limiter = deps.rateLimiter ?? (options.rateLimit === undefined
    ? undefined
    : createMemoryRateLimiter(options.rateLimit));

  return {
    enabled: true,
    async check(headers, action) {
      if (action.kind === 'health') return undefined;
      const principal = await authenticate(headers, keys, tokens, nowMs());
      if (limiter !== undefined) {
        const decision = await limiter.consume(principal.id);
        if (!decision.allowed) {
          throw new ServingError('RATE_LIMITED', 'rate limit exceeded for this credential; retry after Retry-After seconds', {
            retryAfterS: decision.retryAfterS,
            principal: principal.id,
          });
        }
      }
      authorize(principal, action);
      return principal;
    },
  };
}

async function authenticate(
  headers: CredentialHeaders, keys: ApiKeyVerifier, tokens: JwtVerifier | undefined, now: number,
): Promise<Principal> {
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (authorization === undefined && apiKey === undefined) throw missing();
  if (authorization !== undefined && apiKey !== undefined) throw invalid('two credentials');
  const raw = authorization ?? apiKey;
  if (typeof raw !== 'string') throw invalid('repeated header');
  if (raw.length === 0) throw missing();
  if (raw.length > MAX_CREDENTIAL_CHARS) throw invalid('too long');

  let secret = raw;
  if (authorization !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(raw);
    if (match === null) throw invalid('not a Bearer credential');
    secret = match[1] as string;
  }
  // A compact JWS has exactly two dots; Skein API keys (base64url) have none.
  if (authorization !== undefined && secret.split('.').length === 3) {
    if (tokens === undefined) throw invalid('tokens not configured');
    try {
      const claims = await tokens.verify(secret, now);
      return { id: `token:${claims.subject}`, scopes: claims.scopes };
    } catch (err) {
      // Fails closed: a bad signature, a JWKS outage and a bug in a claim check all refuse.
      throw invalid(err instanceof TokenRejected ? err.reason : ((err as { code?: string }).code ?? 'verification failed'));
    }
  }
  const key = keys.verify(secret, now);
  if (key === undefined) throw invalid('unknown or expired key');
  return { id: `key:${key.id}`, scopes: key.scopes };
}

/** Throws FORBIDDEN unless the principal's scopes allow the action (see types.ts). */
export function authorize(principal: Principal, action: Action): void {
  switch (action.kind) {
    case 'health':
    case 'metadata':
      return;
    case 'infer':
      if (principal.scopes.includes('infer:*') || principal.scopes.includes(`infer:${action.model}`)) return;
      throw new ServingError('FORBIDDEN', 'insufficient scope for infer: needs infer:<model> or infer:*');
    case 'admin':
      if (principal.scopes.includes('admin')) return;
      throw new ServingError('FORBIDDEN', 'insufficient scope for admin: needs admin');
    case 'feedback':
      if (principal.scopes.includes('feedback') || principal.scopes.includes('admin')) return;
      throw new ServingError('FORBIDDEN', 'insufficient scope for feedback: needs feedback or admin');
  }
}
