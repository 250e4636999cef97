/**
 * The benched server, run in its own process so the load generator does not share its event
 * loop: `node --expose-gc --import tsx server-entry.ts '<server options as JSON>'`.
 * Prints `PORT <n>` once listening; answers `{kind: 'memory', gc}` over IPC with its memory,
 * after a full GC when `gc` is true (a reading is then what the process retains, not garbage);
 * answers `{kind: 'loop'}` with its event-loop delay since the last such question (a blocked or
 * starved loop explains late answers); on SIGTERM drains like `skein serve` does and exits 0 when everything drained.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { parseServerConfig } from '../../../src/config/index.js';
import { startServer } from '../../../src/server/index.js';

const raw = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const config = parseServerConfig({ host: '127.0.0.1', httpPort: 0, logLevel: 'warn', ...raw });
const server = await startServer(config, { processMetrics: false, logger: pino({ level: config.logLevel }, pino.destination(2)) });
console.log(`PORT ${server.httpPort}`);

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

process.on('message', (msg: { kind?: string; gc?: boolean }) => {
  if (msg.kind === 'loop') {
    process.send?.({ kind: 'loop', p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 });
    loopDelay.reset();
    return;
  }
  if (msg.kind !== 'memory') return;
  const gc = msg.gc ? (globalThis as { gc?: () => void }).gc : undefined;
  gc?.();
  const m = process.memoryUsage();
  process.send?.({ kind: 'memory', rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, gcForced: gc !== undefined });
});

process.once('SIGTERM', () => {
  void server.shutdown().then((drained) => process.exit(drained ? 0 : 1));
});
