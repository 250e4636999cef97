/**
 * Skein as the bench runs it: `startServer` with the defaults `skein serve` would use (workers =
 * cores, per-model config from the repository), in its own process so the load generator does not
 * share its event loop.
 *
 * Usage: node --import tsx bench/skein-server.ts <model-repository> [--grpc-port <n>]
 * Prints `PORT <n>` (the HTTP port) once listening on 127.0.0.1. gRPC is off unless --grpc-port
 * is given, so a bench never binds the fixed default port 8001.
 */
import { pino } from 'pino';
import { announcePort, installProbe } from './lib/child-probe.js';

type Skein = Pick<typeof import('../src/index.js'), 'parseServerConfig' | 'startServer'>;

/**
 * BENCH_SKEIN=dist runs the compiled package (`npm run build` first), as `skein serve` does;
 * the default runs the sources through tsx, whose per-closure name helpers cost a little.
 */
async function loadSkein(): Promise<Skein> {
  if (process.env.BENCH_SKEIN === 'dist') {
    const dist = '../dist/src/index.js';
    return (await import(dist)) as Skein;
  }
  return import('../src/index.js');
}

async function main(): Promise<void> {
  const [repo, flag, value] = process.argv.slice(2);
  if (!repo || (flag !== undefined && flag !== '--grpc-port')) throw new Error('usage: skein-server.ts <model-repository> [--grpc-port <n>]');
  const grpcPort = flag === undefined ? -1 : Number(value);
  const { parseServerConfig, startServer } = await loadSkein();
  const config = parseServerConfig({ modelRepository: repo, httpPort: 0, grpcPort, host: '127.0.0.1', logLevel: 'silent' });
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
