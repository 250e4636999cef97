/**
 * The yarnit offline key space: every user × the best-selling products, with the purchase
 * model's features computed by the example's own feature code. `skein batch` precomputes
 * purchase probabilities for these pairs (README, "Offline serving").
 *
 *   node dist/examples/yarnit/pairs.js --out examples/yarnit/data/pairs.csv [--top 5] [--seed 42]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateShop } from './data.js';
import { purchaseFeatures, PURCHASE_FEATURES } from './features.js';

export interface YarnitPair {
  /** `<user id>|<product id>` */
  key: string;
  features: number[];
}

/** Every user × the `topProducts` best-selling products, features as the model sees them. */
export function yarnitPairs(topProducts: number, seed = 42): YarnitPair[] {
  const shop = generateShop(seed);
  const top = [...shop.products].sort((a, b) => b.salesCount - a.salesCount).slice(0, topProducts);
  const rows: YarnitPair[] = [];
  for (const user of shop.users) {
    for (const product of top) {
      const f = purchaseFeatures({ query: product.title, product, user, hourOfDay: 20, dayOfWeek: 6 });
      rows.push({ key: `${user.id}|${product.id}`, features: Array.from(f) });
    }
  }
  return rows;
}

/** The mapping file for `skein batch --mapping`: 16 scalar columns → the `features` input. */
export const PAIRS_MAPPING = `inputs:\n  features: [${PURCHASE_FEATURES.join(', ')}]\n`;

export function pairsCsv(rows: readonly YarnitPair[]): string {
  const lines = [['pair', ...PURCHASE_FEATURES].join(',')];
  for (const r of rows) lines.push([r.key, ...r.features.map(String)].join(','));
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, top: { type: 'string', default: '5' }, seed: { type: 'string', default: '42' } } });
  if (!values.out) throw new Error('usage: pairs --out FILE.csv [--top N] [--seed S]');
  const rows = yarnitPairs(Number(values.top), Number(values.seed));
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, pairsCsv(rows));
  const mappingPath = values.out.replace(/\.csv$/, '') + '.mapping.yaml';
  await writeFile(mappingPath, PAIRS_MAPPING);
  console.log(`wrote ${rows.length} pairs to ${values.out} and the column mapping to ${mappingPath}`);
}

if (process.argv[1] && /pairs\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
