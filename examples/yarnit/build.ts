/**
 * Builds the yarnit model repository.
 *
 *   tsx examples/yarnit/build.ts --out examples/yarnit/models [--if-missing] [--seed 42]
 *
 * --if-missing returns at once when every version is already there (npm start runs this).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRepository, repositoryComplete } from './repository.js';
import type { Metrics } from './repository.js';

const USAGE = 'usage: tsx examples/yarnit/build.ts --out <dir> [--if-missing] [--seed <integer>]';

function formatTable(metrics: Record<string, Metrics>): string {
  const columns = ['version', 'kind', 'logLoss', 'auc', 'accuracy', 'macroF1', 'parameters', 'flopsPerRow'];
  const rows = Object.entries(metrics).map(([version, m]) => columns.map((c) => (c === 'version' ? version : String(m[c] ?? '-'))));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'if-missing': { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
    },
    strict: true,
  });
  const seed = Number(values.seed);
  if (values.out === undefined || !Number.isSafeInteger(seed)) {
    console.error(USAGE);
    return 2;
  }
  const outDir = resolve(values.out);
  if (values['if-missing'] && (await repositoryComplete(outDir))) {
    console.log(`yarnit: models already built in ${outDir}`);
    return 0;
  }
  const startedMs = performance.now();
  const { metrics } = await buildRepository(outDir, seed);
  console.log(`yarnit: built ${outDir} (seed ${seed}) in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  console.log(formatTable(metrics));
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
