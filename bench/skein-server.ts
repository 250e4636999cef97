/**
 * Skein as the bench runs it: `startServer` with the defaults `skein serve` would use (workers =
 * cores, per-model config from the repository), in its own process so the load generator does not
 * share its event loop.
 *
 * Usage: node --import tsx bench/skein-server.ts <model-repository>
 * Prints `PORT <n>` once listening on 127.0.0.1.
 */
import { pino } from 'pino';
import { parseServerConfig } from '../src/config/index.js';
import { startServer } from '../src/server/index.js';
import { announcePort, installProbe } from './lib/child-probe.js';

async function main(): Promise<void> {
  const [repo] = process.argv.slice(2);
  if (!repo) throw new Error('usage: skein-server.ts <model-repository>');
  const config = parseServerConfig({ modelRepository: repo, httpPort: 0, host: '127.0.0.1', logLevel: 'silent' });
  const server = await startServer(config, { processMetrics: false, logger: pino({ level: 'silent' }) });
  installProbe();
  announcePort(server.httpPort);
  process.on('SIGTERM', () => {
    void server.shutdown().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`skein server failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
