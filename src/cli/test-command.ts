import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ServingError } from '../errors/index.js';
import {
  loadSuite, renderHtml, renderJunit, renderTerminal, runTests, DEFAULT_REQUEST_TIMEOUT_MS, SUITE_NAMES,
  type LoadProgress, type Protocol, type RunOptions, type SuiteName,
} from '../testkit/index.js';

/** Exit codes: every suite that ran passed; a suite failed; the options or suite file are wrong. */
export const TEST_EXIT = { passed: 0, failed: 1, usage: 2 } as const;

const int = (v: string): number => {
  if (!/^[0-9]+$/.test(v)) throw new Error(`expected a non-negative integer, got '${v}'`);
  return Number(v);
};

function header(v: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = v.indexOf(':');
  if (at <= 0) throw new Error('expected a header as "name: value"');
  return { ...previous, [v.slice(0, at).trim().toLowerCase()]: v.slice(at + 1).trim() };
}

/** A progress bar for the load suite, drawn only on a terminal (CI logs get the summary alone). */
function progressBar(): { update: (p: LoadProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, format: 'load |{bar}| {value}/{total} answered, {errors} errors', hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (p) => {
      if (!started) bar.start(p.total, 0, { errors: 0 });
      started = true;
      bar.update(p.completed, { errors: p.errors });
    },
    stop: () => started && bar.stop(),
  };
}

/** `skein test`: the model-API test kit against any Open Inference Protocol endpoint, over REST or gRPC. */
export function testCommand(): Command {
  return new Command('test')
    .description('test a model behind an Open Inference Protocol endpoint (Skein, Triton, KServe): functional, statistical, error handling, load, end to end')
    .requiredOption('--endpoint <url>', 'REST: base URL, e.g. http://localhost:8000; gRPC: grpc://host:port, e.g. grpc://localhost:8001')
    .option('--protocol <protocol>', 'rest or grpc (default rest, or grpc for a grpc:// endpoint)')
    .option('--model <name>', 'model to test (default: `model` in the suite file)')
    .option('--model-version <version>', 'version number or label (default: the server\'s choice)')
    .option('--suite <file>', 'suite file (YAML or JSON); without it only the suites that need no data run')
    .option('--request-timeout-ms <ms>', 'longest any single request may take', int)
    .option('--skip <suite...>', `suites not to run: ${SUITE_NAMES.filter((s) => s !== 'protocol').join(', ')}`)
    .option('--metrics-url <url>', 'Prometheus metrics URL when not <endpoint>/metrics (Triton: http://host:8002/metrics)')
    .option('--header <name:value>', 'header (gRPC: metadata) sent with every request (repeatable), e.g. "authorization: Bearer …"', header)
    .option('--junit <file>', 'write a JUnit XML report for CI')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (opts: Record<string, unknown>) => {
      const bar = progressBar();
      let report;
      try {
        const suite = typeof opts.suite === 'string' ? await loadSuite(opts.suite) : undefined;
        const options: RunOptions = {
          endpoint: String(opts.endpoint),
          requestTimeoutMs: (opts.requestTimeoutMs as number | undefined) ?? suite?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          onLoadProgress: bar.update,
          ...(suite ? { suite } : {}),
          ...(typeof opts.protocol === 'string' ? { protocol: opts.protocol as Protocol } : {}),
          ...(typeof opts.model === 'string' ? { model: opts.model } : {}),
          ...(typeof opts.modelVersion === 'string' ? { version: opts.modelVersion } : {}),
          ...(Array.isArray(opts.skip) ? { skip: opts.skip as SuiteName[] } : {}),
          ...(typeof opts.metricsUrl === 'string' ? { metricsUrl: opts.metricsUrl } : {}),
          ...(opts.header ? { headers: opts.header as Record<string, string> } : {}),
        };
        report = await runTests(options);
      } catch (err) {
        bar.stop();
        if (err instanceof ServingError) {
          console.error(`skein test: ${err.message}`);
          process.exit(TEST_EXIT.usage);
        }
        throw err;
      }
      bar.stop();
      process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true }));
      if (typeof opts.junit === 'string') await writeFile(opts.junit, renderJunit(report));
      if (typeof opts.html === 'string') await writeFile(opts.html, renderHtml(report));
      process.exitCode = report.passed ? TEST_EXIT.passed : TEST_EXIT.failed;
    });
}
