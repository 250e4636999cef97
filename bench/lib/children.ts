/**
 * Starts a benched server in a child process (`node --import tsx <entry>`), waits for the
 * `PORT <n>` line, and talks to its probe over IPC (see child-probe.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ProbeReading } from './child-probe.js';

export interface ServerChild {
  name: string;
  url: string;
  pid: number;
  resetProbe(): Promise<void>;
  readProbe(): Promise<ProbeReading>;
  stop(): Promise<void>;
}

const START_LIMIT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

function waitForPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${name} did not print its port within ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
    lines.on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening`));
    });
  });
}

function ask<T>(child: ChildProcess, request: object, replyKind: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (msg: { kind: string } & T): void => {
      if (msg.kind !== replyKind) return;
      child.off('message', onMessage);
      resolve(msg);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

/**
 * Spawns `entry` with `args` (and extra node flags such as --cpu-prof); stderr passes through so
 * a crash is visible.
 */
export async function startServerChild(name: string, entry: string, args: string[], nodeFlags: string[] = []): Promise<ServerChild> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', entry, ...args], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await waitForPort(child, name);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    resetProbe: async () => {
      await ask(child, { kind: 'reset' }, 'reset-done');
    },
    readProbe: async () => (await ask<{ reading: ProbeReading }>(child, { kind: 'read' }, 'reading')).reading,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
