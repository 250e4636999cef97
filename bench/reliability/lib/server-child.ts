/** Starts server-entry.ts in a child process and reads its port and memory. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  gcForced: boolean;
}

export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

export interface BenchServer {
  origin: string;
  pid: number;
  /** `gc`: force a full GC first (it pauses the server, so not while measuring latency). */
  memory(gc: boolean): Promise<MemoryReading>;
  /** The server's event-loop delay since the previous call (the first call: since start). */
  loopDelay(): Promise<LoopDelay>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const ENTRY = new URL('./server-entry.ts', import.meta.url).pathname;
const START_LIMIT_MS = 60_000;

export async function startBenchServer(options: Record<string, unknown>): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ENTRY, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bench server did not listen within ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited with code ${code} before listening`));
    });
  });
  const ask = <T>(kind: string, extra: object = {}): Promise<T> =>
    new Promise((resolve) => {
      const onMessage = (msg: { kind?: string } & T): void => {
        if (msg.kind !== kind) return;
        child.off('message', onMessage);
        resolve(msg);
      };
      child.on('message', onMessage);
      child.send({ kind, ...extra });
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    memory: (gc) => ask<MemoryReading>('memory', { gc }),
    loopDelay: () => ask<LoopDelay>('loop'),
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
