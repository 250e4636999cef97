/**
 * Access control shared by every transport. A transport extracts the credential headers (REST
 * headers or gRPC metadata, lower-case names), names the action the route performs, and calls
 * Guard.check before doing anything else. check() throws ServingError UNAUTHENTICATED (401),
 * FORBIDDEN (403) or RATE_LIMITED (429) and never leaks which part of a credential was wrong.
 *
 * Actions and the scope each needs:
 *   health   — no credential ever (liveness/readiness probes, grpc.health.v1)
 *   metadata — any valid credential (server metadata, model metadata/ready/config/stats, metrics)
 *   infer    — `infer:<model>` or `infer:*`
 *   admin    — `admin` (repository index/load/unload, labels, rollout commands)
 *   feedback — `feedback` or `admin` (POST /v2/feedback: events about past predictions)
 * `admin` does not imply `infer`: an operator key cannot read predictions unless it also carries
 * an infer scope. With auth disabled, check() allows everything (the local quick start).
 *
 * Order inside check(): authenticate, then charge the principal's rate limit, then check the
 * scope. So a principal that floods forbidden routes is throttled too; anonymous requests are
 * refused before they cost a bucket. check() is safe to call concurrently.
 */
export type Action =
  | { kind: 'health' }
  | { kind: 'metadata'; model?: string }
  | { kind: 'infer'; model: string }
  | { kind: 'admin' }
  | { kind: 'feedback' };

export interface Principal {
  /** A stable, non-secret id of the credential (`key:<id>` or `token:<sub>`), safe to log. */
  id: string;
  scopes: string[];
}

/**
 * Header or metadata values as the transport received them. A repeated header arrives as an
 * array and is refused (two credentials are one too many).
 */
export interface CredentialHeaders {
  authorization?: string | readonly string[] | undefined;
  'x-api-key'?: string | readonly string[] | undefined;
}

export interface Guard {
  readonly enabled: boolean;
  /** Resolves with the principal (undefined when auth is disabled or the action is `health`). */
  check(headers: CredentialHeaders, action: Action): Promise<Principal | undefined>;
}

/** One API key, stored as the hex SHA-256 of the key; the key itself is never configured. */
export interface ApiKeyEntry {
  /** Non-secret name of the key, used as the principal id `key:<id>` and in logs. */
  id: string;
  /** 64 hex characters: sha256 of the key as sent by clients (see hashApiKey). */
  sha256: string;
  scopes: string[];
  /** ISO 8601 instant after which the key is refused (rotation: set it on the old key). */
  notAfter?: string | undefined;
}

export interface JwtOptions {
  /** HS256 shared secret, at least 32 bytes (RFC 7518 §3.2). */
  hs256Secret?: string | undefined;
  /** RS256 public key, PEM (SPKI or a certificate's key). */
  publicKeyPem?: string | undefined;
  /** RS256 keys fetched from a JWKS document (http or https; use https outside tests). */
  jwksUrl?: string | undefined;
  /** When set, the `iss` claim must equal it. */
  issuer?: string | undefined;
  /** When set, the `aud` claim must contain it. */
  audience?: string | undefined;
  /** Longest lifetime accepted: tokens with exp − iat above it are refused (short-lived only). */
  maxTokenAgeS: number;
  /** Clock skew allowed on exp, nbf and iat. */
  clockToleranceS: number;
}

export interface RateLimitOptions {
  /** Sustained rate per principal: the long-run average allowed. */
  requestsPerSecond: number;
  /** Requests a principal may send at once after being idle (per window of burst / rate seconds). */
  burst: number;
}

export interface AuthOptions {
  enabled: boolean;
  apiKeys: ApiKeyEntry[];
  jwt?: JwtOptions | undefined;
  rateLimit?: RateLimitOptions | undefined;
}

/** Outcome of charging one request to a principal's bucket. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * Per-principal request budget. rate-limiter-flexible's in-memory limiter implements it; a
 * shared one (for example its RateLimiterRedis) can replace it without touching the guard.
 */
export interface RateLimiter {
  consume(principalId: string): Promise<RateDecision>;
}
