import { Command, Option } from 'commander';
import { parseServerConfig } from '../config/index.js';
import { ServingError } from '../errors/index.js';
import { startServer } from '../server/index.js';
import { authFromFlags } from './auth-flags.js';

const int = (v: string): number => {
  if (!/^-?[0-9]+$/.test(v)) throw new Error(`expected an integer, got '${v}'`);
  return Number(v);
};

/** `skein serve`: the model-as-a-service server. Flags mirror Triton's where one exists. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve every model in a repository over the Open Inference Protocol v2 (REST)')
    .requiredOption('--model-repository <dir>', 'model repository: <dir>/<model>/<version>/model.onnx')
    .option('--http-port <port>', 'HTTP port (0 = any free port)', int, 8000)
    .option('--host <host>', 'address to bind', '0.0.0.0')
    .option('--grpc-port <port>', 'gRPC port (0 = any free port, -1 = no gRPC)', int, 8001)
    .addOption(new Option('--model-control-mode <mode>', 'none: load all at start; poll: follow the repository; explicit: load/unload by API').choices(['none', 'poll', 'explicit']).default('none'))
    .option('--repository-poll-interval-ms <ms>', 'poll mode: rescan interval', int, 5000)
    .option('--insecure-model-control', 'allow explicit mode without --auth (load/unload open to anyone who can reach the port)')
    .option('--load-model <name...>', 'explicit mode: models to load at start (* = all)')
    .addOption(new Option('--version-swap <mode>', 'availability: new version ready before the old leaves; resource: unload first').choices(['availability', 'resource']).default('availability'))
    .option('--max-body-bytes <n>', 'largest request body, after decompression', int, 64 * 1024 * 1024)
    .option('--max-json-depth <n>', 'deepest JSON nesting accepted', int, 64)
    .option('--max-tensor-elements <n>', 'most elements in one input tensor', int, 16 * 1024 * 1024)
    .option('--max-inputs <n>', 'most input tensors in one request', int, 256)
    .option('--request-timeout-ms <ms>', 'time to receive a whole HTTP request', int, 60_000)
    .option('--workers <n>', 'ONNX worker threads shared by all models (default: cores)', int)
    .option('--intra-op-threads <n>', 'ONNX intra-op threads per session', int, 1)
    .option('--shutdown-grace-ms <ms>', 'after SIGTERM, time to answer queued and running requests', int, 30_000)
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .option('--traffic <file>', 'traffic.yaml: experiments, canary rollouts, shadows, cascades, fallbacks (docs/traffic.md)')
    .option('--traffic-state <url>', 'traffic state (predictions for feedback, KPI counts, rollouts, labels): a SQLite path or redis://host:port (default .skein/traffic.sqlite)')
    .option('--feature-store <url>', 'feature store for raw-field requests (/infer-raw): a SQLite path (sqlite://…) or redis://host:port[/db][?prefix=name]')
    .option('--feature-skew-sample-rate <rate>', 'share (0–1) of served raw rows the skew monitors sample (default 1)', Number)
    .option('--predictions <url>', 'serve published prediction sets of this store at /v2/predictions (sqlite://path, postgres://…, redis://…)')
    .option('--payload-log-sample-rate <rate>', 'log a redacted preview of this share (0–1) of requests; off by default', Number)
    .option('--payload-log-model <model=rate...>', 'per-model payload-log sample rates, e.g. purchase=0.01')
    .option('--log-requests', 'log one line per HTTP request (method, URL, status, time)')
    .option('--redact-field <path...>', 'extra log fields to redact (pino paths, e.g. "*.email")')
    .option('--auth', 'require a credential (API key or token) on every route but health')
    .option('--api-keys-file <file>', 'YAML/JSON list of {id, sha256, scopes, notAfter?} (see skein keys new)')
    .option('--jwt-hs256-secret-file <file>', 'HS256 secret (≥ 32 bytes); or env SKEIN_JWT_HS256_SECRET')
    .option('--jwt-public-key-file <file>', 'RS256 public key (PEM)')
    .option('--jwt-jwks-url <url>', 'RS256 keys from a JWKS URL')
    .option('--jwt-issuer <iss>', 'required token issuer')
    .option('--jwt-audience <aud>', 'required token audience')
    .option('--jwt-max-token-age-s <s>', 'refuse tokens living longer than this (exp − iat)', int, 3600)
    .option('--jwt-clock-tolerance-s <s>', 'clock skew allowed on exp/iat', int, 30)
    .option('--rate-limit-requests-per-second <n>', 'per-credential sustained rate', Number)
    .option('--rate-limit-burst <n>', 'per-credential burst', int)
    .option('--tls-cert-file <file>', 'serve HTTPS and gRPC over TLS with this certificate (PEM)')
    .option('--tls-key-file <file>', 'private key of --tls-cert-file (PEM)')
    .option('--tls-ca-file <file>', 'CA for client certificates (mutual TLS)')
    .option('--tls-require-client-cert', 'mutual TLS: refuse clients without a certificate signed by --tls-ca-file')
    .action(async (opts: Record<string, unknown>) => {
      const raw: Record<string, unknown> = {
        modelRepository: opts.modelRepository,
        httpPort: opts.httpPort,
        host: opts.host,
        modelControlMode: opts.modelControlMode,
        repositoryPollIntervalMs: opts.repositoryPollIntervalMs,
        loadModels: opts.loadModel ?? [],
        insecureModelControl: Boolean(opts.insecureModelControl),
        versionSwap: opts.versionSwap,
        maxBodyBytes: opts.maxBodyBytes,
        maxJsonDepth: opts.maxJsonDepth,
        maxTensorElements: opts.maxTensorElements,
        maxInputs: opts.maxInputs,
        requestTimeoutMs: opts.requestTimeoutMs,
        intraOpThreads: opts.intraOpThreads,
        shutdownGraceMs: opts.shutdownGraceMs,
        logLevel: opts.logLevel,
      };
      if (opts.workers !== undefined) raw.workers = opts.workers;
      let config;
      try {
        raw.grpcPort = opts.grpcPort;
        if (opts.predictions !== undefined) raw.predictions = opts.predictions;
        if (opts.traffic !== undefined) raw.traffic = opts.traffic;
        if (opts.trafficState !== undefined) raw.trafficState = opts.trafficState;
        if (opts.featureStore !== undefined) raw.featureStore = opts.featureStore;
        if (opts.featureSkewSampleRate !== undefined) raw.featureSkewSampleRate = opts.featureSkewSampleRate;
        raw.redactFields = opts.redactField ?? [];
        raw.logRequests = Boolean(opts.logRequests);
        if (opts.payloadLogSampleRate !== undefined || opts.payloadLogModel !== undefined) {
          const modelSampleRates = Object.fromEntries(((opts.payloadLogModel as string[] | undefined) ?? []).map((pair) => {
            const at = pair.lastIndexOf('=');
            return [pair.slice(0, at), Number(pair.slice(at + 1))];
          }));
          raw.payloadLog = { enabled: true, sampleRate: opts.payloadLogSampleRate ?? 0, modelSampleRates };
        }
        raw.auth = await authFromFlags(opts);
        if (opts.tlsCertFile || opts.tlsKeyFile) {
          raw.tls = {
            certFile: opts.tlsCertFile,
            keyFile: opts.tlsKeyFile,
            ...(opts.tlsCaFile ? { caFile: opts.tlsCaFile } : {}),
            requireClientCert: Boolean(opts.tlsRequireClientCert),
          };
        }
        config = parseServerConfig(raw);
      } catch (err) {
        if (err instanceof ServingError) {
          console.error(`skein serve: ${err.message}`);
          process.exit(2);
        }
        throw err;
      }
      const server = await startServer(config);
      let signals = 0;
      const stop = (signal: string): void => {
        signals++;
        if (signals > 1) process.exit(1);
        server.logger.info({ signal }, 'draining: ready is false, queued requests will be answered');
        void server.shutdown().then((drained) => process.exit(drained ? 0 : 1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
