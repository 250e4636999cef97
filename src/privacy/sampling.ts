import { ServingError } from '../errors/index.js';

export interface PayloadLogOptions {
  /** Off by default: request and response tensors are never logged unless this is true. */
  enabled: boolean;
  /** Fraction of requests logged, 0..1, for models without their own rate. */
  sampleRate: number;
  /** Per-model fractions, 0..1, overriding sampleRate. */
  modelSampleRates?: Readonly<Record<string, number>>;
}

export function checkPayloadLogOptions(options: PayloadLogOptions): PayloadLogOptions {
  const rates = [options.sampleRate, ...Object.values(options.modelSampleRates ?? {})];
  if (!rates.every((r) => r >= 0 && r <= 1)) {
    throw new ServingError('INVALID_CONFIG', 'privacy.payloadLogging sample rates must be between 0 and 1');
  }
  return options;
}

/**
 * Whether to log this request's payload. rng returns [0, 1) like Math.random; it is injected so
 * tests and replays are deterministic. Rate 0 never logs, rate 1 always does.
 */
export function shouldLogPayload(model: string, options: PayloadLogOptions, rng: () => number = Math.random): boolean {
  if (!options.enabled) return false;
  const rate = Object.hasOwn(options.modelSampleRates ?? {}, model)
    ? (options.modelSampleRates as Record<string, number>)[model] as number
    : options.sampleRate;
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return rng() < rate;
}
