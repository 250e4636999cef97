import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * JSON logs. Tensor contents never reach a log: nothing in Skein logs request bodies, and the
 * redaction list drops credentials even if a caller's headers end up in a log line.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'skein' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.inputs', '*.data'],
      remove: true,
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export type { Logger };
