import { z } from 'zod';
import { availableParallelism } from 'node:os';
import { parseWith } from './format.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Options of `skein serve`; every bound is named with its unit. docs/config.md lists them. */
export const ServerConfigSchema = z.strictObject({
  modelRepository: z.string().min(1),
  httpPort: int(0, 65_535).default(8000),
  host: z.string().default('0.0.0.0'),
  modelControlMode: z.enum(['none', 'poll', 'explicit']).default('none'),
  repositoryPollIntervalMs: int(50, 3_600_000).default(5000),
  /** Explicit mode: models loaded at start (`*` = all). */
  loadModels: z.array(z.string()).default([]),
  /** availability: new version ready before the old leaves (2× memory); resource: unload first. */
  versionSwap: z.enum(['availability', 'resource']).default('availability'),
  maxBodyBytes: int(1024, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  maxJsonDepth: int(2, 1000).default(64),
  maxTensorElements: int(1, 1_000_000_000).default(16 * 1024 * 1024),
  maxInputs: int(1, 10_000).default(256),
  /** Node's HTTP request timeout (receiving the whole request). */
  requestTimeoutMs: int(0, 3_600_000).default(60_000),
  /** ONNX worker threads shared by all models. */
  workers: int(1, 256).default(availableParallelism()),
  intraOpThreads: int(1, 64).default(1),
  /** After SIGTERM, how long to finish queued and in-flight requests before exiting. */
  shutdownGraceMs: int(0, 3_600_000).default(30_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerConfig = z.output<typeof ServerConfigSchema>;

export function parseServerConfig(raw: Record<string, unknown>): ServerConfig {
  return parseWith(ServerConfigSchema, raw, 'server options');
}
