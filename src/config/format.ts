import { z } from 'zod';
import { ServingError } from '../errors/index.js';

/** Old or foreign spellings we recognise, so a user gets "use X instead" rather than a bare error. */
const RENAMED: Record<string, string> = {
  max_batch_size: 'maxBatchSize',
  dynamic_batching: 'batching',
  max_queue_delay_microseconds: 'batching.maxQueueDelayMs',
  maxQueueDelay: 'maxQueueDelayMs',
  batchTimeout: 'maxQueueDelayMs',
  preferred_batch_size: 'batching.preferredBatchSizes',
  max_queue_size: 'batching.maxQueueSize',
  version_policy: 'versionPolicy',
  version_labels: 'labels',
  model_warmup: 'warmup',
  instance_group: 'runtime.instances',
  timeout: 'defaultTimeoutMs',
};

/** Turns zod issues into one message that names each offending key. */
export function configError(source: string, error: z.ZodError): ServingError {
  const parts = error.issues.map((issue) => {
    const at = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => {
          const key = at ? `${at}.${k}` : k;
          const renamed = RENAMED[k];
          return renamed ? `unsupported ${key}, use ${renamed} instead` : `unknown key '${key}'`;
        })
        .join('; ');
    }
    return `${at || '(root)'}: ${issue.message}`;
  });
  return new ServingError('INVALID_CONFIG', `${source}: ${parts.join('; ')}`);
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw configError(source, r.error);
  return deepFreeze(r.data);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
