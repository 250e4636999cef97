import { z } from 'zod';
import { availableParallelism } from 'node:os';
import { parseWith } from './format.js';
import { ServingError } from '../errors/index.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** API keys are stored as sha256 hex of the key, never the key (see `skein keys new`). */
const ApiKeySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'key ids are 1–64 letters, digits, _ . -'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex characters'),
  scopes: z.array(z.string().min(1)).min(1),
  notAfter: z.iso.datetime({ offset: true }).optional(),
});

const AuthSchema = z.strictObject({
  enabled: z.boolean().default(false),
  apiKeys: z.array(ApiKeySchema).max(1000).default([]),
  jwt: z
    .strictObject({
      hs256Secret: z.string().min(32, 'an HS256 secret needs at least 32 bytes').optional(),
      publicKeyPem: z.string().optional(),
      jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
      issuer: z.string().optional(),
      audience: z.string().optional(),
      maxTokenAgeS: int(1, 7 * 24 * 3600).default(3600),
      clockToleranceS: int(0, 600).default(30),
    })
    .optional(),
  rateLimit: z.strictObject({ requestsPerSecond: z.number().positive().max(1_000_000), burst: int(1, 1_000_000) }).optional(),
});

/** Sampled logging of request/response previews (docs/security.md#payload-logging); off by default. */
const PayloadLogSchema = z.strictObject({
  enabled: z.boolean().default(false),
  sampleRate: z.number().min(0).max(1).default(0),
  modelSampleRates: z.record(z.string(), z.number().min(0).max(1)).default({}),
  maxPreviewValues: int(0, 64).default(8),
});

const TlsSchema = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  caFile: z.string().min(1).optional(),
  requireClientCert: z.boolean().default(false),
});

/** Options of `skein serve`; every bound is named with its unit. docs/config.md lists them. */
export const ServerConfigSchema = z.strictObject({
  modelRepository: z.string().min(1),
  httpPort: int(0, 65_535).default(8000),
  host: z.string().default('0.0.0.0'),
  modelControlMode: z.enum(['none', 'poll', 'explicit']).default('none'),
  repositoryPollIntervalMs: int(50, 3_600_000).default(5000),
  /**
   * Explicit mode opens load/unload, which need an admin credential: without --auth the server
   * refuses to start unless this is set (a local, trusted machine only).
   */
  insecureModelControl: z.boolean().default(false),
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
  /** One log line per HTTP request (method, URL, status, time); off by default: at thousands of requests per second it costs more than the model. */
  logRequests: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** gRPC port (OIP v2 GRPCInferenceService and grpc.health.v1); -1 turns gRPC off. */
  grpcPort: int(-1, 65_535).default(8001),
  auth: AuthSchema.default({ enabled: false, apiKeys: [] }),
  tls: TlsSchema.optional(),
  /** Extra log paths to redact (pino paths), on top of credentials and tensor data. */
  redactFields: z.array(z.string().min(1)).max(100).default([]),
  /** A prediction store URL (sqlite://, postgres://, redis://) whose published sets are served at /v2/predictions. */
  predictions: z.string().min(1).optional(),
  payloadLog: PayloadLogSchema.default({ enabled: false, sampleRate: 0, modelSampleRates: {}, maxPreviewValues: 8 }),
  /** traffic.yaml: experiments, canary rollouts, shadows, cascades, fallbacks (docs/traffic.md). */
  traffic: z.string().min(1).optional(),
  /** Where traffic state lives (predictions for feedback, KPI counts, rollouts, labels): a SQLite path or redis://. */
  trafficState: z.string().min(1).default('.skein/traffic.sqlite'),
  /** Feature store for raw-field requests (/infer-raw): a SQLite path (sqlite://…) or redis://host:port[/db][?prefix=name]. Absent: entity features take their defaults. */
  featureStore: z.string().min(1).optional(),
  /** Share (0–1) of served raw rows the skew monitors sample (docs/skew.md). */
  featureSkewSampleRate: z.number().min(0).max(1).default(1),
});

export type ServerConfig = z.output<typeof ServerConfigSchema>;

export function parseServerConfig(raw: Record<string, unknown>): ServerConfig {
  const config = parseWith(ServerConfigSchema, raw, 'server options');
  // The model control API must never be open by accident: it fails closed.
  if (config.modelControlMode === 'explicit' && !config.auth.enabled && !config.insecureModelControl) {
    throw new ServingError(
      'INVALID_CONFIG',
      'server options: --model-control-mode explicit opens load/unload, which need an admin credential; turn on --auth, or pass --insecure-model-control on a trusted machine',
    );
  }
  return config;
}
