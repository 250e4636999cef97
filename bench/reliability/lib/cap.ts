/**
 * Finds the cap: the highest offered rate whose p99 stays under the bound with every reply 2xx,
 * by a short geometric ramp (each step a few seconds of open-loop load) and one bisection step
 * between the last rate that held and the first that did not. When the first rate does not
 * hold, it halves down (up to three times); 0 means no rate held.
 */
import { runOpenLoop } from './open-loop.js';
import { log } from './report.js';
import { fixed, spreadOf } from './stats.js';

export interface CapOptions {
  origin: string;
  path: string;
  body: string;
  p99BoundMs: number;
  startRatePerS: number;
  growth: number;
  stepMs: number;
  maxSteps: number;
}

export interface CapStep {
  ratePerS: number;
  issuedPerS: number;
  p99Ms: number;
  non2xx: number;
  held: boolean;
}

export interface CapResult {
  capRps: number;
  steps: CapStep[];
}

/** A step that does not hold is run once more: one stall on a shared machine must not set the cap. */
async function step(o: CapOptions, ratePerS: number): Promise<CapStep> {
  const first = await stepOnce(o, ratePerS);
  return first.held ? first : stepOnce(o, ratePerS);
}

async function stepOnce(o: CapOptions, ratePerS: number): Promise<CapStep> {
  const run = await runOpenLoop({ origin: o.origin, path: o.path, body: o.body, ratePerS, durationMs: o.stepMs });
  const p99Ms = spreadOf(run.shots.map((s) => s.latencyMs)).p99Ms;
  const non2xx = run.shots.filter((s) => s.status < 200 || s.status > 299).length;
  // A generator that could not issue the asked rate measured a lower one: that step does not hold.
  const held = p99Ms < o.p99BoundMs && non2xx === 0 && run.issuedPerS >= ratePerS * 0.95;
  log(`ramp ${Math.round(ratePerS)}/s: issued ${fixed(run.issuedPerS, 0)}/s p99 ${fixed(p99Ms)} ms non-2xx ${non2xx} → ${held ? 'holds' : 'over'}`);
  return { ratePerS, issuedPerS: run.issuedPerS, p99Ms, non2xx, held };
}

export async function findCap(o: CapOptions): Promise<CapResult> {
  const steps: CapStep[] = [];
  // Warm the sockets, the JIT and the sessions so the first step is not charged for them.
  await runOpenLoop({ origin: o.origin, path: o.path, body: o.body, ratePerS: o.startRatePerS / 2, durationMs: 1000 });
  let rate = o.startRatePerS;
  let best = 0;
  let firstOver = 0;
  for (let i = 0; i < o.maxSteps; i++) {
    const s = await step(o, rate);
    steps.push(s);
    if (!s.held) {
      firstOver = rate;
      break;
    }
    best = rate;
    rate *= o.growth;
  }
  // Not even the first rate held (a busy machine): halve until one does, a few times at most.
  for (let i = 0; best === 0 && i < 3; i++) {
    const lower = (steps.at(-1)?.ratePerS ?? o.startRatePerS) / 2;
    const s = await step(o, lower);
    steps.push(s);
    if (s.held) best = lower;
    firstOver = 0;
  }
  if (best > 0 && firstOver > 0) {
    const middle = (best + firstOver) / 2;
    const s = await step(o, middle);
    steps.push(s);
    if (s.held) best = middle;
  }
  return { capRps: Math.round(best), steps };
}
