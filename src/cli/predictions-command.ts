import { Command } from 'commander';
import { ServingError, isServingError } from '../errors/index.js';
import type { ErrorCode } from '../errors/index.js';
import { checkRunId, checkSetName, createPredictionStore, predictionsValidateCommand, type LookupStore, type RunInfo } from '../offline/index.js';

/** Where a command writes; tests pass arrays, the CLI passes stdout/stderr. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Codes that mean the options are wrong (exit 2) rather than the operation failing (exit 1). */
const BAD_OPTION_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_CONFIG', 'INVALID_MODEL_NAME']);

/** Runs fn against the store, closing it after; maps failures to exit codes 1 and 2. */
export async function withStore(url: string, io: CommandIo, prefix: string, fn: (store: LookupStore) => Promise<void>): Promise<number> {
  let store: LookupStore | undefined;
  try {
    store = await createPredictionStore(url);
    await fn(store);
    return 0;
  } catch (err) {
    if (isServingError(err)) {
      io.err(`${prefix}: ${err.message}`);
      return BAD_OPTION_CODES.has(err.code) ? 2 : 1;
    }
    io.err(`${prefix}: the prediction store failed or cannot be reached (${err instanceof Error ? err.message : String(err)})`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

const HEADERS = ['set', 'run', 'model', 'version', 'created', 'rows', 'rejected', 'status', 'published'];

function cells(run: RunInfo): string[] {
  const status = run.forced ? `${run.status} (forced)` : run.status;
  return [run.set, run.runId, run.model, run.version, run.createdAt, String(run.rowCount), String(run.rejectedCount), status, run.published ? 'yes' : 'no'];
}

export function formatRuns(runs: readonly RunInfo[]): string[] {
  const rows = [HEADERS, ...runs.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd());
}

export async function runPredictionsList(opts: { store: string; set?: string; json?: boolean }, io: CommandIo = stdio): Promise<number> {
  return withStore(opts.store, io, 'skein predictions list', async (store) => {
    const runs = await store.listRuns(opts.set === undefined ? undefined : checkSetName(opts.set));
    if (opts.json) io.out(JSON.stringify(runs));
    else for (const line of formatRuns(runs)) io.out(line);
  });
}

/** Without run: the newest run whose gate passed. */
export async function runPredictionsPublish(opts: { store: string; set: string; run?: string; force?: boolean }, io: CommandIo = stdio): Promise<number> {
  return withStore(opts.store, io, 'skein predictions publish', async (store) => {
    const set = checkSetName(opts.set);
    let runId = opts.run === undefined ? undefined : checkRunId(opts.run);
    if (runId === undefined) {
      runId = (await store.listRuns(set)).find((r) => r.status === 'passed')?.runId;
      if (runId === undefined) throw new ServingError('RUN_NOT_FOUND', 'no run of this set passed its gate; name one with --run (and --force if its gate failed)');
    }
    const run = await store.publish(set, runId, { force: opts.force === true });
    io.out(`published set ${run.set} run ${run.runId} (model ${run.model} version ${run.version}, ${run.rowCount} rows${run.forced ? ', forced' : ''})`);
  });
}

export async function runPredictionsRollback(opts: { store: string; set: string }, io: CommandIo = stdio): Promise<number> {
  return withStore(opts.store, io, 'skein predictions rollback', async (store) => {
    const run = await store.rollback(checkSetName(opts.set));
    io.out(`set ${run.set} now serves run ${run.runId} (model ${run.model} version ${run.version})`);
  });
}

/** `skein predictions list|publish|rollback`: manage prediction sets in a store. */
export function predictionsCommand(): Command {
  const cmd = new Command('predictions').description('list, validate, publish and roll back precomputed prediction sets');
  cmd.addCommand(predictionsValidateCommand());
  const exit = (code: number): void => {
    process.exitCode = code;
  };
  cmd
    .command('list')
    .description('list the runs of every set (or one), newest first')
    .requiredOption('--store <url>', 'prediction store: sqlite://path, postgres://…, redis://…')
    .option('--set <name>', 'only this set')
    .option('--json', 'print the runs as JSON')
    .action(async (opts: { store: string; set?: string; json?: boolean }) => exit(await runPredictionsList(opts)));
  cmd
    .command('publish')
    .description('point lookups of a set at a run, atomically (default: the newest run that passed its gate)')
    .requiredOption('--store <url>', 'prediction store URL')
    .requiredOption('--set <name>', 'the prediction set')
    .option('--run <id>', 'the run to publish')
    .option('--force', 'publish a run whose gate failed or never ran (recorded on the run)')
    .action(async (opts: { store: string; set: string; run?: string; force?: boolean }) => exit(await runPredictionsPublish(opts)));
  cmd
    .command('rollback')
    .description('point lookups of a set back at the run published before the current one')
    .requiredOption('--store <url>', 'prediction store URL')
    .requiredOption('--set <name>', 'the prediction set')
    .action(async (opts: { store: string; set: string }) => exit(await runPredictionsRollback(opts)));
  return cmd;
}
