/**
 * Whole-machine CPU from /proc/stat, so a run can report how much CPU processes other than the
 * benched server and the load generator took while it ran (the dev box is shared and noisy).
 * Off Linux the reading is undefined and the report leaves the column empty.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuTicks {
  busy: number;
  total: number;
}

export function readCpuTicks(): CpuTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Cores busy machine-wide between two readings (0..number of cores). */
export function busyCores(before: CpuTicks | undefined, after: CpuTicks | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return ((after.busy - before.busy) / (after.total - before.total)) * cpus().length;
}
