import type { Command } from 'commander';
import { ServingError } from '../../errors/index.js';
import { parseRange, readGolden } from './files.js';
import { DEFAULT_GATE } from './types.js';
import type { GateConfig } from './types.js';

const collect = (v: string, previous: string[] = []): string[] => [...previous, v];

function bounded(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number in [${min}, ${max}]`);
    return n;
  };
}

/** The gate's flags, shared by `skein batch` and `skein predictions validate`. */
export function addGateOptions(cmd: Command): Command {
  return cmd
    .option('--range <output:min:max>', 'declared range of an output, e.g. probability:0:1 (repeatable)', collect)
    .option('--baseline <file>', 'reference predictions (JSONL) for the drift check; default: the set\'s published run')
    .option('--max-psi <x>', 'drift: largest population stability index allowed', bounded('--max-psi', 0, 100), DEFAULT_GATE.maxPsi)
    .option('--max-ks <x>', 'drift: largest two-sample KS statistic allowed (0-1)', bounded('--max-ks', 0, 1), DEFAULT_GATE.maxKs)
    .option('--golden <file>', 'golden keys (JSONL of {key, output, value, tolerance?}) the run must match');
}

export interface GateFlags {
  range?: string[];
  baseline?: string;
  maxPsi: number;
  maxKs: number;
  golden?: string;
}

/** Builds the gate config from parsed flags; reads the golden file. */
export async function gateConfigFromFlags(f: GateFlags): Promise<GateConfig> {
  if (f.maxPsi === undefined || f.maxKs === undefined) throw new ServingError('INVALID_CONFIG', '--max-psi and --max-ks need values');
  return {
    ...DEFAULT_GATE,
    ranges: (f.range ?? []).map(parseRange),
    maxPsi: f.maxPsi,
    maxKs: f.maxKs,
    golden: f.golden === undefined ? [] : await readGolden(f.golden),
  };
}
