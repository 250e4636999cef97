import { Command, Option } from 'commander';
import { Registry } from 'prom-client';
import { ServingError, isServingError } from '../errors/index.js';
import { createLogger } from '../monitoring/index.js';
import { DEFAULT_MAX_MERGED_KEYS, createLookupService, createPredictionStore, type LookupStore } from '../offline/index.js';
import { createLookupHttpServer } from '../server/index.js';
import { systemClock, type Clock } from '../util/index.js';
import type { Logger } from '../monitoring/index.js';

export interface LookupServerOptions {
  store?: string;
  mode: 'store' | 'memory';
  files: readonly string[];
  httpPort: number;
  host: string;
  maxKeysPerRequest: number;
  /** Store mode: most keys in one merged store read (0 = one read per lookup). */
  maxMergedKeys?: number;
  maxMemoryRows: number;
  refreshIntervalMs: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  requestTimeoutMs: number;
}

export interface LookupServer {
  port: number;
  close(): Promise<void>;
}

/** Opens the store, loads memory mode's sets, and listens. Throws ServingError on bad options. */
export async function startLookupServer(opts: LookupServerOptions, deps: { logger: Logger; clock?: Clock }): Promise<LookupServer> {
  if (opts.store === undefined && opts.files.length === 0) {
    throw new ServingError('INVALID_CONFIG', 'skein lookup needs --store URL or --file PATH');
  }
  if (opts.mode === 'store' && opts.store === undefined) {
    throw new ServingError('INVALID_CONFIG', '--mode store needs --store URL; flat files are served with --mode memory');
  }
  const store: LookupStore | undefined = opts.store === undefined ? undefined : await createPredictionStore(opts.store);
  const registry = new Registry();
  const lookup = createLookupService({
    ...(store ? { store } : {}),
    mode: opts.mode,
    files: opts.files,
    maxKeysPerRequest: opts.maxKeysPerRequest,
    maxMergedKeys: opts.maxMergedKeys,
    maxMemoryRows: opts.maxMemoryRows,
    refreshIntervalMs: opts.refreshIntervalMs,
    clock: deps.clock ?? systemClock,
    registry,
    onRefreshError: (err) => deps.logger.warn({ err }, 'prediction refresh failed; the loaded sets keep serving'),
  });
  const http = createLookupHttpServer({
    lookup,
    metrics: { contentType: registry.contentType, render: () => registry.metrics() },
    logger: deps.logger,
    limits: { maxBodyBytes: opts.maxBodyBytes, maxJsonDepth: opts.maxJsonDepth, requestTimeoutMs: opts.requestTimeoutMs },
  });
  try {
    await lookup.start();
    const { port } = await http.listen(opts.httpPort, opts.host);
    return {
      port,
      async close() {
        lookup.close();
        await http.close();
        await store?.close();
      },
    };
  } catch (err) {
    lookup.close();
    await store?.close();
    throw err;
  }
}

const int = (v: string): number => {
  if (!/^-?[0-9]+$/.test(v)) throw new Error(`expected an integer, got '${v}'`);
  return Number(v);
};

/** `skein lookup`: serves lookups of published prediction sets alone (no models). */
export function lookupCommand(): Command {
  return new Command('lookup')
    .description('serve lookups of published prediction sets over HTTP (GET /v2/predictions/{set}/{key})')
    .option('--store <url>', 'prediction store: sqlite://path, postgres://…, redis://…')
    .option('--file <path...>', 'flat JSONL prediction files to serve from memory (see docs/offline.md)')
    .addOption(new Option('--mode <mode>', 'store: read the store per request; memory: load published sets into memory').choices(['store', 'memory']))
    .option('--http-port <port>', 'HTTP port (0 = any free port)', int, 8000)
    .option('--host <host>', 'address to bind', '0.0.0.0')
    .option('--max-keys-per-request <n>', 'most keys in one batch lookup', int, 1000)
    .option('--max-merged-keys <n>', 'store mode: lookups of one event-loop turn share one store read of at most this many keys (0 = a read per lookup)', int, DEFAULT_MAX_MERGED_KEYS)
    .option('--max-memory-rows <n>', 'memory mode: most rows held over all sets', int, 5_000_000)
    .option('--refresh-interval-ms <ms>', 'memory mode: how often to pick up a new publish', int, 30_000)
    .option('--max-body-bytes <n>', 'largest request body', int, 4 * 1024 * 1024)
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .action(async (opts: Record<string, unknown>) => {
      const logger = createLogger({ level: opts.logLevel as string });
      const files = (opts.file as string[] | undefined) ?? [];
      let server: LookupServer;
      try {
        server = await startLookupServer({
          ...(typeof opts.store === 'string' ? { store: opts.store } : {}),
          mode: (opts.mode as 'store' | 'memory' | undefined) ?? (opts.store === undefined ? 'memory' : 'store'),
          files,
          httpPort: opts.httpPort as number,
          host: opts.host as string,
          maxKeysPerRequest: opts.maxKeysPerRequest as number,
          maxMergedKeys: opts.maxMergedKeys as number,
          maxMemoryRows: opts.maxMemoryRows as number,
          refreshIntervalMs: opts.refreshIntervalMs as number,
          maxBodyBytes: opts.maxBodyBytes as number,
          maxJsonDepth: 64,
          requestTimeoutMs: 60_000,
        }, { logger });
      } catch (err) {
        console.error(`skein lookup: ${isServingError(err) ? err.message : `the prediction store failed or cannot be reached (${String(err)})`}`);
        process.exit(isServingError(err) && err.code === 'INVALID_CONFIG' ? 2 : 1);
      }
      logger.info({ port: server.port }, 'serving prediction lookups');
      const stop = (): void => {
        void server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
