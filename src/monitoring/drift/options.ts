import type { z } from 'zod';
import { ServingError } from '../../errors/index.js';

/** Turns zod issues into one INVALID_CONFIG whose message names each offending key. */
export function optionsError(source: string, error: z.ZodError): ServingError {
  const parts = error.issues.map((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown key '${at ? `${at}.${k}` : k}'`).join('; ');
    }
    return `${at || '(root)'}: ${issue.message}`;
  });
  return new ServingError('INVALID_CONFIG', `${source}: ${parts.join('; ')}`);
}
