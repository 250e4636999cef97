import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ServingError } from '../errors/index.js';

const readText = async (file: string, what: string): Promise<string> => {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new ServingError('INVALID_CONFIG', `${what}: cannot read the file given`);
  }
};

/**
 * Builds the `auth` part of the server config from flags. Secrets come from files or the
 * environment, never from flags (flags show in `ps`). The schema checks the result.
 */
export async function authFromFlags(opts: Record<string, unknown>): Promise<Record<string, unknown>> {
  const apiKeys = typeof opts.apiKeysFile === 'string' ? parseYaml(await readText(opts.apiKeysFile, '--api-keys-file')) ?? [] : [];
  const hs256 = typeof opts.jwtHs256SecretFile === 'string'
    ? (await readText(opts.jwtHs256SecretFile, '--jwt-hs256-secret-file')).trim()
    : process.env.SKEIN_JWT_HS256_SECRET;
  const publicKeyPem = typeof opts.jwtPublicKeyFile === 'string' ? await readText(opts.jwtPublicKeyFile, '--jwt-public-key-file') : undefined;
  const anyJwt = hs256 !== undefined || publicKeyPem !== undefined || opts.jwtJwksUrl !== undefined;
  const jwt = anyJwt
    ? {
        ...(hs256 !== undefined ? { hs256Secret: hs256 } : {}),
        ...(publicKeyPem !== undefined ? { publicKeyPem } : {}),
        ...(opts.jwtJwksUrl !== undefined ? { jwksUrl: opts.jwtJwksUrl } : {}),
        ...(opts.jwtIssuer !== undefined ? { issuer: opts.jwtIssuer } : {}),
        ...(opts.jwtAudience !== undefined ? { audience: opts.jwtAudience } : {}),
        maxTokenAgeS: opts.jwtMaxTokenAgeS,
        clockToleranceS: opts.jwtClockToleranceS,
      }
    : undefined;
  const rateLimit = opts.rateLimitRequestsPerSecond !== undefined
    ? { requestsPerSecond: opts.rateLimitRequestsPerSecond, burst: opts.rateLimitBurst ?? Math.max(1, Math.ceil(Number(opts.rateLimitRequestsPerSecond))) }
    : undefined;
  return {
    enabled: Boolean(opts.auth),
    apiKeys,
    ...(jwt ? { jwt } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  };
}
