import type { Clock } from '../util/index.js';
import { failureMessage } from './requests.js';
import type { CaseResult, SuiteName, SuiteResult } from './types.js';

/** What a case body returns: nothing when it passed, a failure sentence, or a reason to skip. */
export type CaseOutcome = undefined | string | { skip: string };

/** Runs one case; a timeout or refused connection fails the case with its message. */
export async function runCase(clock: Clock, name: string, body: () => Promise<CaseOutcome>): Promise<CaseResult> {
  const started = clock.now();
  let outcome: CaseOutcome;
  try {
    outcome = await body();
  } catch (err) {
    outcome = failureMessage(err);
  }
  const durationMs = clock.now() - started;
  if (outcome === undefined) return { name, status: 'passed', durationMs };
  if (typeof outcome === 'string') return { name, status: 'failed', message: outcome, durationMs };
  return { name, status: 'skipped', message: outcome.skip, durationMs };
}

export function skippedCase(name: string, message: string): CaseResult {
  return { name, status: 'skipped', message, durationMs: 0 };
}

/** A suite failed when any case failed; it passed when any passed; else every case was skipped. */
export function suiteOf(name: SuiteName, cases: CaseResult[], durationMs: number, extra: Partial<SuiteResult> = {}): SuiteResult {
  const status = cases.some((c) => c.status === 'failed') ? 'failed' : cases.some((c) => c.status === 'passed') ? 'passed' : 'skipped';
  const reason = status === 'skipped' && !extra.reason ? cases[0]?.message : extra.reason;
  return { name, status, cases, durationMs, ...extra, ...(reason !== undefined ? { reason } : {}) };
}

export function skippedSuite(name: SuiteName, reason: string): SuiteResult {
  return { name, status: 'skipped', reason, cases: [], durationMs: 0 };
}
