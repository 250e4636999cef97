/**
 * The one convention for a key prefix in a store URL: `redis://host:port/db?prefix=name` (or
 * rediss://). Returns the URL without the parameter (what ioredis takes) and the prefix, if
 * any; a URL that does not parse is returned as it is, for the caller's own error.
 */
export function splitRedisPrefix(url: string): { url: string; prefix: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, prefix: undefined };
  }
  const prefix = parsed.searchParams.get('prefix') ?? undefined;
  if (prefix === undefined) return { url, prefix };
  parsed.searchParams.delete('prefix');
  return { url: parsed.toString(), prefix };
}
