/**
 * runTests: the kit's API. Runs the suites in order against one model of one OIP endpoint and
 * returns the report; never throws for what the endpoint does (that is a failed case), only for
 * options that make no sense.
 */
import { ServingError } from '../errors/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { skippedSuite } from './case.js';
import { createOipClient } from './client.js';
import { runE2eSuite } from './e2e.js';
import { runErrorsSuite } from './errors.js';
import { runFunctionalSuite } from './functional.js';
import { runLoadSuite } from './load.js';
import { runProtocolSuite } from './protocol.js';
import type { SuiteContext } from './requests.js';
import { runStatisticalSuite } from './statistical.js';
import { defaultSuite, type Suite } from './suite.js';
import { SUITE_NAMES, type LoadProgress, type Report, type SuiteName, type SuiteResult } from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const MAX_REQUEST_TIMEOUT_MS = 600_000;

export interface RunOptions {
  /** Base URL of the OIP REST endpoint, e.g. http://localhost:8000. */
  endpoint: string;
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

function checkOptions(options: RunOptions, suite: Suite): { model: string; requestTimeoutMs: number } {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw new ServingError('INVALID_CONFIG', 'endpoint: give an http(s) URL such as http://localhost:8000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServingError('INVALID_CONFIG', 'endpoint: only http and https URLs are supported');
  }
  const model = options.model ?? suite.model;
  if (!model) throw new ServingError('INVALID_CONFIG', 'model: name the model to test (--model, or `model` in the suite file)');
  const requestTimeoutMs = options.requestTimeoutMs ?? suite.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw new ServingError('INVALID_CONFIG', `requestTimeoutMs: must be an integer from 1 to ${MAX_REQUEST_TIMEOUT_MS}`);
  }
  for (const name of options.skip ?? []) {
    if (!SUITE_NAMES.includes(name)) throw new ServingError('INVALID_CONFIG', `skip: unknown suite; the suites are ${SUITE_NAMES.join(', ')}`);
  }
  return { model, requestTimeoutMs };
}

export async function runTests(options: RunOptions): Promise<Report> {
  const suite = options.suite ?? defaultSuite();
  const { model, requestTimeoutMs } = checkOptions(options, suite);
  const version = options.version ?? suite.version;
  const clock = options.clock ?? systemClock;
  const startedAt = new Date().toISOString();
  const started = clock.now();
  const client = createOipClient({
    endpoint: options.endpoint, model, requestTimeoutMs,
    ...(version ? { version } : {}), ...(options.headers ? { headers: options.headers } : {}),
  });
  const ctx: SuiteContext = {
    client, model, suite, clock,
    ...(version ? { version } : {}), ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
  };
  options.onSuiteStart?.('protocol');
  const protocol = await runProtocolSuite(ctx);
  if (protocol.metadata) ctx.metadata = protocol.metadata;
  const runners: Array<[SuiteName, () => Promise<SuiteResult>]> = [
    ['functional', () => runFunctionalSuite(ctx)],
    ['statistical', () => runStatisticalSuite(ctx)],
    ['errors', () => runErrorsSuite(ctx)],
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
