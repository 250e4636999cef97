import { createHash } from 'node:crypto';

/**
 * Deterministic, stateless assignment. A unit's position in [0, 1) is the first 52 bits of
 * SHA-256(salt ":" unit): uniform, the same on every replica and after every restart, and
 * independent across salts (two experiments over the same users do not correlate).
 */
export function unitPosition(salt: string, unit: string): number {
  const digest = createHash('sha256').update(salt).update(':').update(unit).digest();
  // 52 bits: exact in a double. hi: 32 bits, lo: the top 20 bits of the next word.
  const hi = digest.readUInt32BE(0);
  const lo = digest.readUInt32BE(4) >>> 12;
  return (hi * 2 ** 20 + lo) / 2 ** 52;
}

export interface Weighted {
  name: string;
  weight: number;
}

/** The arm whose cumulative-weight interval holds `position`; arms in declaration order. */
export function chooseArm<T extends Weighted>(arms: readonly T[], position: number): T {
  let total = 0;
  for (const a of arms) total += a.weight;
  let edge = 0;
  for (const a of arms) {
    edge += a.weight / total;
    if (position < edge) return a;
  }
  return arms[arms.length - 1]!;
}

/** True when a unit at `position` falls in the first `percent` % (canary and shadow shares). */
export function inShare(position: number, percent: number): boolean {
  return position * 100 < percent;
}
