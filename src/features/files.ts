import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServingError } from '../errors/index.js';
import { compileFeatureSet, type CompiledFeatureSet } from './compile.js';
import { schemaHashOf } from './hash.js';

/**
 * features.json: the feature set a model version was trained with, beside its model file
 * (`<repo>/<model>/<version>/features.json`). It holds the spec and, as `schemaHash`, the sha256
 * of the spec's canonical JSON; loading recomputes the hash and refuses a file whose hash does
 * not match (a hand edit would otherwise serve features the model never saw).
 */
export const FEATURES_FILE = 'features.json';

/** Writes `<dir>/features.json` (atomically: a temporary file renamed over it); returns the hash. */
export async function saveFeatureSet(dir: string, spec: unknown): Promise<string> {
  const set = compileFeatureSet(spec);
  const text = `${JSON.stringify({ schemaHash: set.schemaHash, ...set.spec }, null, 2)}\n`;
  const path = join(dir, FEATURES_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
  return set.schemaHash;
}

/**
 * Parses the text of a features.json (or of any spec file): validates, compiles, and, when the
 * text carries a schemaHash, checks it.
 */
export function parseFeatureSetJson(text: string, label = FEATURES_FILE): CompiledFeatureSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ServingError('INVALID_FEATURE_DEFINITION', `${label} is not valid JSON`);
  }
  const set = compileFeatureSet(value);
  const declared = (value as { schemaHash?: unknown }).schemaHash;
  if (declared !== undefined && declared !== set.schemaHash) {
    throw new ServingError('INVALID_FEATURE_DEFINITION', `${label}: schemaHash does not match the spec it holds (edited by hand?); save it again with saveFeatureSet`);
  }
  return set;
}

/** Reads `<dir>/features.json`; FEATURES_NOT_CONFIGURED when there is none. */
export async function loadFeatureSet(dir: string): Promise<CompiledFeatureSet> {
  let text: string;
  try {
    text = await readFile(join(dir, FEATURES_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ServingError('FEATURES_NOT_CONFIGURED', 'this model version has no features.json; send OIP tensors, or publish the version with its feature set');
    }
    throw err;
  }
  return parseFeatureSetJson(text);
}

export { schemaHashOf };
