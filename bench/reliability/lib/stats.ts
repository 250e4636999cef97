/** Small order statistics for the reliability benches; every figure is in the unit its name ends with. */

export interface Spread {
  count: number;
  minMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function spreadOf(valuesMs: readonly number[]): Spread {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    minMs: sorted[0] ?? Number.NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export const mb = (bytes: number): number => bytes / 2 ** 20;

export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function formatSpread(s: Spread): string {
  return `n=${s.count} min=${fixed(s.minMs)} p50=${fixed(s.p50Ms)} p99=${fixed(s.p99Ms)} max=${fixed(s.maxMs)} ms`;
}

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A positive number from the environment, or the default; a bad value stops the bench. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}
