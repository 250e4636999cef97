import type { z } from 'zod';
import { ServingError } from '../errors/index.js';
import { deepFreeze } from './hash.js';
import { FeatureSetSchema, type FeatureSetSpec } from './spec.js';

/**
 * Schema validation with messages that name the feature: a zod path such as
 * `features.3.transforms.1.buckets` becomes `feature "log_price": transforms[1].buckets: …`.
 */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

function featureName(input: unknown, index: number): string | undefined {
  const features = (input as { features?: unknown } | null)?.features;
  const f = Array.isArray(features) ? (features[index] as { name?: unknown } | undefined) : undefined;
  return typeof f?.name === 'string' ? f.name.slice(0, 64) : undefined;
}

function issueText(issue: z.core.$ZodIssue, input: unknown): string {
  let path = issue.path;
  let subject = '';
  if (path[0] === 'features' && typeof path[1] === 'number') {
    const name = featureName(input, path[1]);
    subject = name === undefined ? `features[${path[1]}]` : `feature "${name}"`;
    path = path.slice(2);
  } else if (path[0] === 'tensors' && typeof path[1] === 'number') {
    subject = `tensors[${path[1]}]`;
    path = path.slice(2);
  }
  const at = pathText(path);
  let what: string;
  if (issue.code === 'unrecognized_keys') {
    what = issue.keys.map((k) => `unknown key "${k}"${at ? ` in ${at}` : ''}`).join(', ');
  } else if (issue.code === 'invalid_union' && 'discriminator' in issue && 'options' in issue) {
    const options = (issue.options as unknown[]).join(', ');
    what = `${at || String(issue.discriminator)} must be one of: ${options}`;
  } else {
    what = `${at || '(root)'}: ${issue.message}`;
  }
  return subject ? `${subject}: ${what}` : what;
}

/** Checks `input` against the schema; the result is normalized (defaults filled) and frozen. */
export function parseSpec(input: unknown): FeatureSetSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ServingError('INVALID_FEATURE_DEFINITION', 'a feature set must be a JSON object with name, features and tensors');
  }
  const { schemaHash: _hash, ...rest } = input as Record<string, unknown>;
  const r = FeatureSetSchema.safeParse(rest);
  if (!r.success) {
    const shown = r.error.issues.slice(0, 5).map((i) => issueText(i, rest));
    const more = r.error.issues.length > 5 ? `; and ${r.error.issues.length - 5} more` : '';
    throw new ServingError('INVALID_FEATURE_DEFINITION', `${shown.join('; ')}${more}`);
  }
  return deepFreeze(r.data);
}
