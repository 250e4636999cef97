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
 *   admin    — `admin` (repository index/load/unload)
 * With auth disabled, check() allows everything (the local quick start).
 */
export type Action =
  | { kind: 'health' }
  | { kind: 'metadata'; model?: string }
  | { kind: 'infer'; model: string }
  | { kind: 'admin' };

export interface Principal {
  /** A stable, non-secret id of the credential (key id or token subject), safe to log. */
  id: string;
  scopes: string[];
}

export interface CredentialHeaders {
  authorization?: string | undefined;
  'x-api-key'?: string | undefined;
}

export interface Guard {
  readonly enabled: boolean;
  /** Resolves with the principal (undefined when auth is disabled or the action is `health`). */
  check(headers: CredentialHeaders, action: Action): Promise<Principal | undefined>;
}
