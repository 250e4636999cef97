/**
 * The statistical suite: unseen rows from a data file are sent one per request, and the
 * distribution of each compared output is tested against its training baseline: class outputs
 * with chi-square, score outputs with two-sample KS and PSI. A timeout stops the run at once.
 */
import { runCase, skippedCase, skippedSuite, suiteOf } from './case.js';
import { describeStatus, failureMessage, instanceBody, isTimeout, outputsOf, type SuiteContext } from './requests.js';
import { chiSquareTest, ksTwoSample, psi } from './stats.js';
import type { ComparedOutput } from './suite.js';
import type { CaseResult, DistributionComparison, SuiteResult } from './types.js';

interface Collected {
  answered: number;
  failed: number;
  firstFailure?: string;
  timedOut: boolean;
  /** Values per compared output, in row order. */
  values: Map<string, unknown[]>;
}

async function collect(ctx: SuiteContext, rows: number, compared: readonly ComparedOutput[], concurrency: number): Promise<Collected> {
  const stat = ctx.suite.statistical!;
  const meta = ctx.metadata!;
  const result: Collected = { answered: 0, failed: 0, timedOut: false, values: new Map(compared.map((o) => [o.name, []])) };
  const outputs = compared.map((o) => ({ name: o.name }));
  let next = 0;
  const fail = (message: string): void => {
    result.failed++;
    result.firstFailure ??= message;
  };
  async function worker(): Promise<void> {
    while (next < rows && !result.timedOut) {
      const row = stat.data[next++]!;
      try {
        const reply = await ctx.client.infer({ ...instanceBody(meta, row), outputs });
        if (reply.status !== 200) {
          fail(describeStatus(reply));
          continue;
        }
        const got = outputsOf(reply.body);
        const missing = compared.find((o) => !got.has(o.name));
        if (missing) {
          fail(`the reply has no output ${JSON.stringify(missing.name.slice(0, 64))}`);
          continue;
        }
        result.answered++;
        for (const o of compared) result.values.get(o.name)!.push(...got.get(o.name)!.data);
      } catch (err) {
        if (isTimeout(err)) result.timedOut = true;
        fail(failureMessage(err));
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, rows) }, () => worker()));
  return result;
}

function compare(output: ComparedOutput, values: unknown[]): { comparison: DistributionComparison; problems: Array<[string, string | undefined]> } {
  const name = JSON.stringify(output.name.slice(0, 64));
  if (output.kind === 'class') {
    const observed: Record<string, number> = {};
    for (const v of values) observed[String(v)] = (observed[String(v)] ?? 0) + 1;
    const baseline = Array.isArray(output.baseline) ? countsOf(output.baseline) : output.baseline;
    const r = chiSquareTest(observed, baseline);
    const line = `chi-square ${r.statistic.toFixed(2)} (df ${r.degreesOfFreedom}), p = ${r.pValue.toExponential(2)}; needs p ≥ ${output.chiSquareMinPValue}`;
    return {
      comparison: { kind: 'class', output: output.name, baseline: shares(baseline), observed, chiSquare: r },
      problems: [[`${name}: class distribution matches the baseline (chi-square)`, r.pValue >= output.chiSquareMinPValue ? undefined : line]],
    };
  }
  const observed = values.map(Number).filter((v) => Number.isFinite(v));
  const baseline = Array.isArray(output.baseline) ? output.baseline : [];
  const ks = ksTwoSample(baseline, observed);
  const index = psi(baseline, observed, output.bins);
  return {
    comparison: { kind: 'score', output: output.name, baseline, observed, ks, psi: index },
    problems: [
      [`${name}: score distribution matches the baseline (KS)`, ks.pValue >= output.ksMinPValue ? undefined
        : `KS distance ${ks.statistic.toFixed(3)}, p = ${ks.pValue.toExponential(2)}; needs p ≥ ${output.ksMinPValue}`],
      [`${name}: population stability index`, index <= output.psiMax ? undefined : `PSI ${index.toFixed(3)}; needs ≤ ${output.psiMax}`],
      [`${name}: every score is a finite number`, observed.length === values.length ? undefined : `${values.length - observed.length} values are not finite numbers`],
    ],
  };
}

function countsOf(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}

function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / total]));
}

export async function runStatisticalSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const stat = ctx.suite.statistical;
  if (!stat) return skippedSuite('statistical', 'no data: add a `statistical` section with a data file and baselines to the suite file (--suite)');
  if (!ctx.metadata) return skippedSuite('statistical', 'the model metadata is unavailable, so data rows cannot be shaped into requests (see the protocol suite)');
  const started = ctx.clock.now();
  const rows = Math.min(stat.requests ?? stat.data.length, stat.data.length);
  const got = await collect(ctx, rows, stat.outputs, stat.concurrency);
  const cases: CaseResult[] = [
    await runCase(ctx.clock, `${rows} requests from the data file are answered`, async () => {
      if (got.timedOut) return `stopped after a timeout: ${got.firstFailure}`;
      return got.failed === 0 ? undefined : `${got.failed} of ${rows} requests failed; first: ${got.firstFailure}`;
    }),
  ];
  const distributions: DistributionComparison[] = [];
  for (const output of stat.outputs) {
    if (got.answered < Math.max(1, rows / 2)) {
      cases.push(skippedCase(`${JSON.stringify(output.name.slice(0, 64))}: distribution`, 'not compared: fewer than half of the requests were answered'));
      continue;
    }
    const { comparison, problems } = compare(output, got.values.get(output.name)!);
    distributions.push(comparison);
    for (const [name, problem] of problems) cases.push(await runCase(ctx.clock, name, async () => problem));
  }
  return suiteOf('statistical', cases, ctx.clock.now() - started, { distributions });
}
