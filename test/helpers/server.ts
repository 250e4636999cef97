/**
 * Starts a real Skein server (real onnxruntime, real HTTP on port 0) over a temporary model
 * repository, for integration tests. Close it in an after-hook.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parseServerConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

export async function tempRepo(prefix = 'skein-repo-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestServer extends RunningServer {
  url: string;
  repo: string;
  close(): Promise<void>;
}

/** `options.logger` replaces the silent test logger, e.g. to capture real log lines in memory. */
export async function startTestServer(repo: string, overrides: Record<string, unknown> = {}, options: { logger?: Logger } = {}): Promise<TestServer> {
  const config = parseServerConfig({ modelRepository: repo, httpPort: 0, grpcPort: 0, host: '127.0.0.1', logLevel: 'silent', workers: 2, ...overrides });
  const logger = options.logger ?? pino({ level: process.env.SKEIN_TEST_LOG ?? 'silent' });
  const server = await startServer(config, { processMetrics: false, logger });
  return {
    ...server,
    url: `http://127.0.0.1:${server.httpPort}`,
    repo,
    async close() {
      await server.shutdown();
      await rm(repo, { recursive: true, force: true });
    },
  };
}

export interface JsonReply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function getJson<T = any>(url: string): Promise<JsonReply<T>> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function postJson<T = any>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply<T>> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** An OIP infer body for FP32 `x` rows. */
export function fp32Rows(rows: number[][], name = 'x'): { inputs: unknown[] } {
  return { inputs: [{ name, datatype: 'FP32', shape: [rows.length, rows[0]?.length ?? 0], data: rows.flat() }] };
}

/** The documented safe way to publish a version: write a hidden directory, then rename it into place. */
export async function publishVersion(repo: string, model: string, version: number, bytes: Uint8Array): Promise<void> {
  const tmp = join(repo, model, `.tmp-${version}`);
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, 'model.onnx'), bytes);
  await rename(tmp, join(repo, model, String(version)));
}

/** Polls `check` every 25 ms until it holds; fails after `attempts` tries (bounded, no fixed sleeps). */
export async function until(what: string, check: () => Promise<boolean>, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
