/**
 * PASS/FAIL lines for a bench's criteria, and one machine-readable `RESULT {...}` line at the end
 * that run-all.ts collects. The process exit code is 0 only when every criterion passed.
 */

export interface Criterion {
  name: string;
  pass: boolean;
  /** The measured figure, as the reader should see it. */
  measured: string;
}

export interface BenchResult {
  scenario: string;
  pass: boolean;
  criteria: Criterion[];
  /** Figures other benches may reuse (run-all passes capRps from swaps to drain). */
  figures: Record<string, number>;
  seconds: number;
}

export class Report {
  private readonly criteria: Criterion[] = [];
  private readonly figures: Record<string, number> = {};
  private readonly startedMs = performance.now();

  constructor(private readonly scenario: string) {
    console.log(`== ${scenario}`);
  }

  check(name: string, pass: boolean, measured: string): void {
    this.criteria.push({ name, pass, measured });
    console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${measured}`);
  }

  /** Records that the bench stopped early: the run fails whatever else passed. */
  crashed(err: unknown): void {
    this.check('the bench ran to the end', false, err instanceof Error ? err.message : String(err));
  }

  figure(name: string, value: number): void {
    this.figures[name] = value;
  }

  /** Prints the verdict and the RESULT line; sets the exit code. */
  finish(): BenchResult {
    const result: BenchResult = {
      scenario: this.scenario,
      pass: this.criteria.length > 0 && this.criteria.every((c) => c.pass),
      criteria: this.criteria,
      figures: this.figures,
      seconds: Math.round((performance.now() - this.startedMs) / 100) / 10,
    };
    console.log(`${result.pass ? 'PASS' : 'FAIL'}  ${this.scenario} (${result.seconds} s)`);
    console.log(`RESULT ${JSON.stringify(result)}`);
    process.exitCode = result.pass ? 0 : 1;
    return result;
  }
}

export function log(message: string): void {
  console.log(`      ${message}`);
}
