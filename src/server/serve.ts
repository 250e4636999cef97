import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServingError } from '../errors/index.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { ServingMetrics, createLogger } from '../monitoring/index.js';
import { FileSystemSource, ModelManager } from '../repository/index.js';
import { OnnxRuntime } from '../runtime/index.js';
import { createInferenceService, type ManagedService } from '../serving/index.js';
import { systemClock, type Clock } from '../util/index.js';
import * as grpcJs from '@grpc/grpc-js';
import { createGuard, loadTls } from '../auth/index.js';
import { createPayloadLogger } from '../privacy/index.js';
import { createLookupService, createPredictionStore } from '../offline/index.js';
import { createFeatureServing, createFeatureStore } from '../features/index.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import { createTraffic, createTrafficState, parseTrafficConfig, type Traffic } from '../traffic/index.js';
import { createGrpcServer, type GrpcServer } from './grpc/index.js';

export interface RunningServer {
  service: ManagedService;
  /** Present when the server runs with a traffic config. */
  traffic: Traffic | undefined;
  manager: ModelManager;
  metrics: ServingMetrics;
  http: HttpServer;
  /** Absent when grpcPort is -1. */
  grpc: GrpcServer | undefined;
  logger: Logger;
  /** The HTTP port actually bound (useful with httpPort 0). */
  httpPort: number;
  /** The gRPC port actually bound; -1 when gRPC is off. */
  grpcPort: number;
  /**
   * Graceful stop: ready turns false at once, new requests get SHUTTING_DOWN, every queued and
   * running request is answered (up to shutdownGraceMs), then sockets close and models are freed.
   * Resolves true when everything drained within the grace period.
   */
  shutdown(): Promise<boolean>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Prometheus process metrics (off in tests that start many servers). */
  processMetrics?: boolean;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    // running from sources: package.json is one level less deep
  }
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the whole model-as-a-service stack from a validated config and starts listening. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel, redactFields: [...config.redactFields] });
  // Both fail before anything listens: auth misconfigured is a startup error (fails closed).
  const guard = createGuard(config.auth);
  const tls = config.tls ? loadTls(config.tls) : undefined;
  const root = resolve(config.modelRepository);
  const metrics = new ServingMetrics({ processMetrics: options.processMetrics ?? true });
  const runtime = new OnnxRuntime({ workers: config.workers });
  const manager = new ModelManager({
    source: new FileSystemSource(root, runtime.defaultFileName),
    runtime,
    metrics,
    logger,
    clock,
    server: config,
    repositoryRoot: root,
  });
  const payloadLog = config.payloadLog.enabled ? createPayloadLogger({ logger, options: config.payloadLog }) : undefined;
  const core = createInferenceService({
    manager, logger, clock, platform: runtime.platform, serverVersion: packageVersion(), ...(payloadLog ? { payloadLog } : {}),
  });
  // Traffic rules wrap the core: transports call the wrapped service and never decide anything.
  const traffic = config.traffic ? await startTrafficLayer(config.traffic, config.trafficState, { core, manager, metrics, logger, clock }) : undefined;
  const service = traffic?.service ?? core;
  // Offline predictions beside live models: a lookup that misses answers the set's default.
  const predictionStore = config.predictions ? await createPredictionStore(config.predictions) : undefined;
  const lookup = predictionStore ? createLookupService({ store: predictionStore, clock, registry: metrics.registry }) : undefined;
  await lookup?.start();
  // Raw-field requests (/infer-raw): each version's features.json over the one shared feature store.
  const featureStore = config.featureStore ? createFeatureStore({ url: config.featureStore }) : undefined;
  const features = createFeatureServing({
    repositoryRoot: root, registry: metrics.registry, clock, logger, skew: { sampleRate: config.featureSkewSampleRate },
    isServed: (model, version, generation) => manager.versionsOf(model).some((e) => e === generation && e.version === version && e.state === 'ready'),
    ...(featureStore ? { store: featureStore } : {}),
  });
  const http = createHttpServer({
    service,
    metrics,
    logger,
    limits: config,
    modelControl: config.modelControlMode === 'explicit',
    guard,
    ...(tls ? { https: tls.https } : {}),
    ...(lookup ? { lookup } : {}),
    ...(traffic ? { traffic } : {}),
    features: {
      features,
      resolve: (model, version) => {
        const e = manager.resolve(model, version);
        return { version: e.version, generation: e, signature: e.signature };
      },
    },
  });
  const grpc = config.grpcPort < 0 ? undefined : createGrpcServer({
    service,
    guard,
    logger,
    limits: { maxMessageBytes: config.maxBodyBytes, maxTensorElements: config.maxTensorElements, maxInputs: config.maxInputs },
    modelControl: config.modelControlMode === 'explicit',
    ...(tls ? { credentials: grpcJs.ServerCredentials.createSsl(tls.grpc.rootCerts, tls.grpc.keyCertPairs, tls.grpc.checkClientCertificate) } : {}),
    ...(lookup ? { lookup } : {}),
    features,
  });
  await manager.start();
  await traffic?.start();
  const { port } = await http.listen(config.httpPort, config.host);
  const grpcPort = grpc ? (await grpc.listen(config.grpcPort, config.host)).port : -1;
  logger.info({ port, grpcPort, tls: Boolean(tls), auth: guard.enabled, models: manager.modelNames() }, 'skein is serving');

  let stopping: Promise<boolean> | undefined;
  const shutdown = (): Promise<boolean> => {
    stopping ??= (async () => {
      service.beginDrain();
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<false>((r) => {
        graceTimer = setTimeout(() => r(false), config.shutdownGraceMs);
      });
      const drained = await Promise.race([manager.close().then(() => true as const), grace]);
      clearTimeout(graceTimer);
      await Promise.all([http.close(), grpc?.close()]);
      await lookup?.close();
      await predictionStore?.close();
      await features.close();
      await featureStore?.close();
      await traffic?.close();
      await runtime.close();
      logger.info({ drained }, 'skein stopped');
      return drained;
    })();
    return stopping;
  };
  return { service, traffic, manager, metrics, http, grpc, logger, httpPort: port, grpcPort, shutdown };
}

interface TrafficDeps {
  core: ManagedService;
  manager: ModelManager;
  metrics: ServingMetrics;
  logger: Logger;
  clock: Clock;
}

/** Reads traffic.yaml and opens the traffic state store; both fail before anything listens. */
async function startTrafficLayer(file: string, stateUrl: string, d: TrafficDeps): Promise<Traffic> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ServingError('INVALID_CONFIG', `cannot read the traffic config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const config = parseTrafficConfig(text, file);
  const store = createTrafficState({ url: stateUrl });
  return createTraffic({ config, core: d.core, versions: d.manager, store, registry: d.metrics.registry, logger: d.logger, clock: d.clock });
}
