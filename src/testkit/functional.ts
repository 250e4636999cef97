/**
 * The functional suite: each golden example (inputs and the outputs they must produce) is sent
 * once; numbers must be within the tolerance, everything else equal. Stops at the first timeout:
 * a hung endpoint is reported once per example left, not waited on for each.
 */
import { runCase, skippedCase, skippedSuite, suiteOf } from './case.js';
import { describeStatus, flatten, isTimeout, outputsOf, type SuiteContext } from './requests.js';
import type { ExpectedOutput, GoldenExample } from './suite.js';
import type { CaseResult, SuiteResult } from './types.js';

const quote = (name: string): string => JSON.stringify(name.slice(0, 64));

/** The first difference between an expected and an actual output, or undefined when they match. */
export function compareOutput(name: string, expected: ExpectedOutput, actual: { datatype?: string; shape?: number[]; data: unknown[] } | undefined, tolerance: number): string | undefined {
  if (!actual) return `output ${quote(name)} is missing from the reply`;
  if (expected.datatype !== undefined && actual.datatype !== expected.datatype) {
    return `output ${quote(name)}: datatype ${String(actual.datatype)}, expected ${expected.datatype}`;
  }
  if (expected.shape !== undefined && JSON.stringify(actual.shape) !== JSON.stringify(expected.shape)) {
    return `output ${quote(name)}: shape ${JSON.stringify(actual.shape)}, expected ${JSON.stringify(expected.shape)}`;
  }
  const want = flatten(expected.data);
  if (actual.data.length !== want.length) return `output ${quote(name)}: ${actual.data.length} values, expected ${want.length}`;
  const tol = expected.tolerance ?? tolerance;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const got = actual.data[i];
    const ok = typeof w === 'number' && typeof got === 'number' ? Math.abs(got - w) <= tol || (Number.isNaN(w) && Number.isNaN(got)) : got === w;
    if (!ok) {
      const shown = typeof w === 'number' ? `expected ${w} ± ${tol}, got ${String(got)}` : `expected ${JSON.stringify(w)}, got ${JSON.stringify(got)}`;
      return `output ${quote(name)}[${i}]: ${shown}`;
    }
  }
  return undefined;
}

async function checkExample(ctx: SuiteContext, example: GoldenExample, tolerance: number): Promise<string | undefined> {
  const outputs = Object.keys(example.outputs).map((name) => ({ name }));
  const reply = await ctx.client.infer({ inputs: example.inputs, outputs, ...(example.parameters ? { parameters: example.parameters } : {}) });
  if (reply.status !== 200) return `answered ${describeStatus(reply)}, expected 200`;
  const actual = outputsOf(reply.body);
  for (const [name, expected] of Object.entries(example.outputs)) {
    const difference = compareOutput(name, expected, actual.get(name), tolerance);
    if (difference) return difference;
  }
  return undefined;
}

export async function runFunctionalSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const functional = ctx.suite.functional;
  if (!functional) return skippedSuite('functional', 'no golden examples: add a `functional` section to the suite file (--suite)');
  const started = ctx.clock.now();
  const cases: CaseResult[] = [];
  let hung = false;
  for (const [i, example] of functional.examples.entries()) {
    const name = example.name ?? `golden example ${i + 1}`;
    if (hung) {
      cases.push(skippedCase(name, 'not sent: an earlier request timed out'));
      continue;
    }
    cases.push(await runCase(ctx.clock, name, async () => {
      try {
        return await checkExample(ctx, example, functional.tolerance);
      } catch (err) {
        hung = isTimeout(err);
        throw err;
      }
    }));
  }
  return suiteOf('functional', cases, ctx.clock.now() - started);
}
