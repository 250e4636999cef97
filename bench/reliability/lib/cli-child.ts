/**
 * Runs the real `skein serve` (src/cli/main.ts through tsx) in a child process, so a bench of
 * signal handling measures the CLI users run, not a copy of its handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const CLI = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const START_LIMIT_MS = 60_000;

export interface CliServer {
  origin: string;
  child: ChildProcess;
  /** Resolves with the exit code and when (performance.now()) the exit was seen. */
  exited: Promise<{ code: number | null; atMs: number }>;
}

export async function startCliServer(args: readonly string[]): Promise<CliServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--http-port', '0', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, atMs: performance.now() }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skein serve did not listen within ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
    // Log lines are JSON; the one that says it is serving carries the port.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { msg?: string; port?: number } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'skein is serving' && entry.port) {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`skein serve exited with code ${code} before listening`));
    });
  });
  return { origin: `http://127.0.0.1:${port}`, child, exited };
}

/** Reads a gauge or counter from /metrics; 0 when the series is absent. */
export async function metricValue(origin: string, seriesPrefix: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(seriesPrefix));
  return line ? Number(line.split(' ').pop()) : 0;
}
