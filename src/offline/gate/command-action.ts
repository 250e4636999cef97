import { Command } from 'commander';
import { isServingError } from '../../errors/index.js';
import { checkRunId, checkSetName, createPredictionStore } from '../store/index.js';
import { addGateOptions, gateConfigFromFlags } from './flags.js';
import type { GateFlags } from './flags.js';
import { formatGateReport } from './report.js';
import { runGate } from './run-gate.js';

/** Exit codes of `skein predictions validate` (and of the gate at the end of `skein batch`). */
export const VALIDATE_EXIT = { passed: 0, error: 1, usage: 2, failed: 3 } as const;

export interface ValidateFlags extends GateFlags {
  store: string;
  set: string;
  run: string;
  rowsIn?: number;
  json?: boolean;
}

export interface ValidateIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STDIO: ValidateIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/**
 * `skein predictions validate`: runs the gate over one run and records passed/failed on it.
 * Returns the exit code (0 passed, 3 failed, 2 bad flags, 1 store or other error).
 */
export async function validateAction(f: ValidateFlags, io: ValidateIo = STDIO): Promise<number> {
  let store;
  try {
    checkSetName(f.set);
    checkRunId(f.run);
    const config = await gateConfigFromFlags(f);
    store = await createPredictionStore(f.store);
    const report = await runGate(store, {
      set: f.set, runId: f.run, rowsIn: f.rowsIn, config, ...(f.baseline === undefined ? {} : { baselineFile: f.baseline }),
    });
    io.out(f.json ? `${JSON.stringify(report)}\n` : formatGateReport(report, f.set, f.run));
    return report.passed ? VALIDATE_EXIT.passed : VALIDATE_EXIT.failed;
  } catch (err) {
    io.err(`skein predictions validate: ${err instanceof Error ? err.message : String(err)}\n`);
    return isServingError(err) && err.code === 'INVALID_CONFIG' ? VALIDATE_EXIT.usage : VALIDATE_EXIT.error;
  } finally {
    await store?.close();
  }
}

const count = (v: string): number => {
  if (!/^[0-9]{1,15}$/.test(v)) throw new Error('--rows-in must be a non-negative integer');
  return Number(v);
};

/** The `validate` subcommand of `skein predictions`, ready to add with addCommand(). */
export function predictionsValidateCommand(): Command {
  const cmd = new Command('validate')
    .description('run the validation gate over a run and record passed/failed on it (publish needs passed)')
    .requiredOption('--store <url>', 'prediction store: sqlite://path, postgres://…, redis://…')
    .requiredOption('--set <name>', 'prediction set (named after its model unless chosen)')
    .requiredOption('--run <id>', 'run id (printed by skein batch)')
    .option('--rows-in <n>', 'rows the job read (all shards): completeness checks rows in = written + rejected', count)
    .option('--json', 'print the report as JSON');
  return addGateOptions(cmd).action(async (opts: ValidateFlags) => {
    process.exitCode = await validateAction(opts);
  });
}
