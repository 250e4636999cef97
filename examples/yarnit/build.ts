/**
 * Builds the yarnit model repository and the data a server needs for raw-field requests.
 *
 *   tsx examples/yarnit/build.ts --out examples/yarnit/models [--data examples/yarnit/data] [--if-missing] [--seed 42]
 *
 * --data (default: `data` beside the --out directory) receives features.sqlite, the feature store
 * to serve with `--feature-store`, and raw-requests.jsonl. --if-missing returns at once when every
 * version, the store and the raw requests are already there (npm start runs this).
 */
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRepository, repositoryComplete } from './repository.js';
import type { Metrics } from './repository.js';

const USAGE = 'usage: tsx examples/yarnit/build.ts --out <dir> [--data <dir>] [--if-missing] [--seed <integer>]';

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
      data: { type: 'string' },
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
  const dataDir = resolve(values.data ?? join(dirname(outDir), 'data'));
  if (values['if-missing'] && (await repositoryComplete(outDir, dataDir))) {
    console.log(`yarnit: models already built in ${outDir}, feature store in ${dataDir}`);
    return 0;
  }
  const startedMs = performance.now();
  const { metrics, data } = await buildRepository(outDir, seed, { dataDir });
  console.log(`yarnit: built ${outDir} (seed ${seed}) in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
  console.log(`yarnit: feature store ${data!.store}, raw requests ${data!.rawRequests}`);
  console.log(formatTable(metrics));
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
