import { createHash } from 'node:crypto';

/**
 * The schema hash: sha256 (hex) of the spec's canonical JSON, in which every object's keys are
 * sorted and nothing else varies, so the same spec written with keys in another order, or with
 * defaults left out, hashes the same. A model version records it beside its model file.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hex sha256 of the canonical JSON of a validated spec (without its own schemaHash key). */
export function schemaHashOf(spec: object): string {
  const { schemaHash: _hash, ...rest } = spec as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
