/**
 * Memory benches read memory after a full GC so a reading is what is retained, not garbage
 * waiting to be collected. When node was started without --expose-gc, this re-runs the script
 * with it and mirrors the child's exit code; the caller stops when it returns false.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export function forcedGc(): (() => void) | undefined {
  return (globalThis as { gc?: () => void }).gc;
}

export async function ensureExposedGc(scriptUrl: string): Promise<boolean> {
  if (forcedGc() !== undefined) return true;
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(scriptUrl).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  process.exitCode = (code as number | null) ?? 1;
  return false;
}
