import { pino, type Logger, type LoggerOptions } from 'pino';
import { createRedactor } from '../privacy/index.js';

/**
 * JSON logs on stdout. Nothing in Skein logs request bodies or tensor values; on top of that,
 * credential headers are always removed, configured fields are censored, and every string in a
 * finished line is scanned for e-mails, card numbers and bearer tokens (docs/security.md).
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream; redactFields?: string[] } = {}): Logger {
  const redactor = createRedactor({ fields: ['*.inputs', '*.data', ...(options.redactFields ?? [])] });
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'skein' },
    ...redactor.pinoOptions,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export type { Logger };
