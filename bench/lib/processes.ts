/**
 * Helpers the benches share: environment numbers, free ports, CLI children (start until ready,
 * stop with a grace period), per-process CPU from /proc, and cleanup of bench keys in Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

const READY_LIMIT_MS = 120_000;
const STOP_GRACE_MS = 5_000;
const CLOCK_TICKS_PER_S = 100;

/** A non-negative number from the environment, or the fallback when unset or empty. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

/** A port free right now; the child binds it a moment later (fine for a bench on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface BenchChild {
  name: string;
  url: string;
  process: ChildProcess;
}

/**
 * Spawns `node --import tsx <args…>` with `portArgs(port)` appended and waits until
 * GET /v2/health/ready answers 200 (at most 120 s); fails early if the child exits.
 */
export async function startBenchChild(name: string, args: readonly string[], portArgs: (port: number) => string[]): Promise<BenchChild> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, ...portArgs(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_LIMIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before listening`);
    if (await fetch(`${url}/v2/health/ready`).then((r) => r.ok, () => false)) return { name, url, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready within ${READY_LIMIT_MS} ms`);
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stopBenchChild(child: BenchChild): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system, all threads) of a process, from /proc; undefined off Linux. */
export function processCpuS(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // The command name may hold spaces; fields after its closing parenthesis are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Deletes every key under `<prefix>:`; returns how many. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (batch.length > 0) deleted += await redis.unlink(...batch);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
