/**
 * runTests: the kit's API. Runs the suites in order against one model of one OIP endpoint and
 * returns the report; never throws for what the endpoint does (that is a failed case), only for
 * options that make no sense.
 */
import { ServingError } from '../errors/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { skippedSuite } from './case.js';
import { createOipClient, type OipClient } from './client.js';
import { runE2eSuite } from './e2e.js';
import { runErrorsSuite } from './errors.js';
import { runFunctionalSuite } from './functional.js';
import { createGrpcOipClient } from './grpc-client.js';
import { runGrpcErrorsSuite } from './grpc-errors.js';
import { runGrpcProtocolSuite } from './grpc-protocol.js';
import { runLoadSuite } from './load.js';
import { runProtocolSuite } from './protocol.js';
import type { SuiteContext } from './requests.js';
import { runStatisticalSuite } from './statistical.js';
import { defaultSuite, type Suite } from './suite.js';
import { SUITE_NAMES, type LoadProgress, type Report, type SuiteName, type SuiteResult } from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const MAX_REQUEST_TIMEOUT_MS = 600_000;

export type Protocol = 'rest' | 'grpc';

export interface RunOptions {
  /** REST: the base URL, e.g. http://localhost:8000. gRPC: grpc://host:port (or host:port with protocol 'grpc'). */
  endpoint: string;
  /** The transport; default rest, or grpc when the endpoint is a grpc:// URL. */
  protocol?: Protocol;
  /** The model to test; defaults to the suite file's `model`. */
  model?: string;
  /** A version number or label; absent = the server's default version. */
  version?: string;
  /** The suite; absent = only what needs no data (see defaultSuite). */
  suite?: Suite;
  /** How long any single request may take before it counts as failed. */
  requestTimeoutMs?: number;
  /** Sent with every request, e.g. `{authorization: 'Bearer …'}`. */
  headers?: Record<string, string>;
  /** Suites not to run; they are reported as skipped. The protocol suite always runs. */
  skip?: SuiteName[];
  /** Absolute URL of the Prometheus metrics when they are not on the endpoint. */
  metricsUrl?: string;
  clock?: Clock;
  onSuiteStart?: (name: SuiteName) => void;
  onLoadProgress?: (progress: LoadProgress) => void;
}

type Target = { protocol: 'rest'; url: string } | { protocol: 'grpc'; address: string };

/** The endpoint and protocol options as one transport and address. */
export function resolveEndpoint(endpoint: string, protocol?: Protocol): Target {
  if (protocol !== undefined && protocol !== 'rest' && protocol !== 'grpc') {
    throw new ServingError('INVALID_CONFIG', 'protocol: must be rest or grpc');
  }
  const grpcUrl = /^grpc:\/\//i.test(endpoint);
  if (grpcUrl && protocol === 'rest') throw new ServingError('INVALID_CONFIG', 'endpoint: a grpc:// URL needs protocol grpc; give an http(s) URL for rest');
  if (grpcUrl || protocol === 'grpc') {
    const address = endpoint.replace(/^grpc:\/\//i, '').replace(/\/+$/, '');
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(address)) {
      throw new ServingError('INVALID_CONFIG', 'endpoint: for gRPC give grpc://host:port (or host:port), such as grpc://localhost:8001');
    }
    return { protocol: 'grpc', address };
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ServingError('INVALID_CONFIG', 'endpoint: give an http(s) URL such as http://localhost:8000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServingError('INVALID_CONFIG', 'endpoint: only http, https and grpc URLs are supported');
  }
  return { protocol: 'rest', url: endpoint };
}

function checkOptions(options: RunOptions, suite: Suite): { model: string; requestTimeoutMs: number; target: Target } {
  const target = resolveEndpoint(options.endpoint, options.protocol);
  const model = options.model ?? suite.model;
  if (!model) throw new ServingError('INVALID_CONFIG', 'model: name the model to test (--model, or `model` in the suite file)');
  const requestTimeoutMs = options.requestTimeoutMs ?? suite.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw new ServingError('INVALID_CONFIG', `requestTimeoutMs: must be an integer from 1 to ${MAX_REQUEST_TIMEOUT_MS}`);
  }
  for (const name of options.skip ?? []) {
    if (!SUITE_NAMES.includes(name)) throw new ServingError('INVALID_CONFIG', `skip: unknown suite; the suites are ${SUITE_NAMES.join(', ')}`);
  }
  return { model, requestTimeoutMs, target };
}

export async function runTests(options: RunOptions): Promise<Report> {
  const suite = options.suite ?? defaultSuite();
  const { model, requestTimeoutMs, target } = checkOptions(options, suite);
  const version = options.version ?? suite.version;
  const clock = options.clock ?? systemClock;
  const startedAt = new Date().toISOString();
  const started = clock.now();
  const common = { model, requestTimeoutMs, ...(version ? { version } : {}), ...(options.headers ? { headers: options.headers } : {}) };
  const client: OipClient = target.protocol === 'grpc'
    ? createGrpcOipClient({ address: target.address, ...common })
    : createOipClient({ endpoint: target.url, ...common });
  const ctx: SuiteContext = {
    client, model, suite, clock,
    ...(version ? { version } : {}), ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
  };
  try {
    return await runSuites(ctx, options, startedAt, started);
  } finally {
    await client.close();
  }
}

async function runSuites(ctx: SuiteContext, options: RunOptions, startedAt: string, started: number): Promise<Report> {
  const { client, clock, model, version } = ctx;
  const grpc = client.protocol === 'grpc';
  options.onSuiteStart?.('protocol');
  const protocol = await (grpc ? runGrpcProtocolSuite(ctx) : runProtocolSuite(ctx));
  if (protocol.metadata) ctx.metadata = protocol.metadata;
  const runners: Array<[SuiteName, () => Promise<SuiteResult>]> = [
    ['functional', () => runFunctionalSuite(ctx)],
    ['statistical', () => runStatisticalSuite(ctx)],
    ['errors', () => (grpc ? runGrpcErrorsSuite(ctx) : runErrorsSuite(ctx))],
    ['load', () => runLoadSuite(ctx)],
    ['e2e', () => runE2eSuite(ctx, options.metricsUrl ? { metricsUrl: options.metricsUrl } : {})],
  ];
  const suites: SuiteResult[] = [protocol.suite];
  for (const [name, run] of runners) {
    if (options.skip?.includes(name)) {
      suites.push(skippedSuite(name, 'skipped by request (--skip)'));
      continue;
    }
    options.onSuiteStart?.(name);
    suites.push(await run());
  }
  return {
    endpoint: client.endpoint, model, ...(version ? { version } : {}), startedAt,
    durationMs: clock.now() - started, suites, passed: suites.every((s) => s.status !== 'failed'),
  };
}
