import { Command } from 'commander';
import { generateApiKey } from '../auth/index.js';

/** `skein keys new --id ID --scope S...`: prints a new API key once, and the entry to store. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('manage API keys');
  keys
    .command('new')
    .description('make a new API key; prints the key (give it to the client) and the hashed entry (put it in --api-keys-file)')
    .requiredOption('--id <id>', 'a non-secret name for the key, shown in logs as key:<id>')
    .requiredOption('--scope <scope...>', 'scopes: infer:<model>, infer:*, admin')
    .option('--not-after <iso>', 'refuse the key after this instant (ISO 8601)')
    .action((opts: { id: string; scope: string[]; notAfter?: string }) => {
      const { key, sha256 } = generateApiKey();
      const entry = { id: opts.id, sha256, scopes: opts.scope, ...(opts.notAfter ? { notAfter: opts.notAfter } : {}) };
      process.stdout.write(`key: ${key}\n# add to the --api-keys-file list:\n- ${JSON.stringify(entry)}\n`);
    });
  return keys;
}
