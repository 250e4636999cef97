/**
 * Probe: where Skein's CPU goes under load. Starts the Skein child with --cpu-prof, drives it
 * with the serve bench's body at one concurrency, stops it, and prints the functions with the
 * most self time for the main thread and each worker thread.
 *
 *   node --import tsx bench/probes/profile-skein.ts [concurrency=64] [seconds=5]
 *   PROFILE_TARGET=baseline …   profiles bench/baseline-server.ts instead; KEEP_PROFILE=1 keeps the files
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerChild } from '../lib/children.js';
import { runLoad } from '../lib/load.js';
import { summarizeCpuProfile, type CpuProfile } from '../lib/cpu-profile.js';
import { inferBody, prepareModel } from '../lib/model.js';

async function main(): Promise<void> {
  const concurrency = Number(process.argv[2] ?? 64);
  const seconds = Number(process.argv[3] ?? 5);
  const model = await prepareModel('mlp_small');
  const profDir = await mkdtemp(join(tmpdir(), 'skein-prof-'));
  // PROFILE_TARGET=baseline profiles the hand-written baseline server instead, for comparison.
  const baseline = process.env.PROFILE_TARGET === 'baseline';
  const entry = fileURLToPath(new URL(baseline ? '../baseline-server.ts' : '../skein-server.ts', import.meta.url));
  const args = baseline ? [model.name, model.filePath] : [model.repoDir];
  const skein = await startServerChild(baseline ? 'baseline' : 'skein', entry, args, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  try {
    const r = await runLoad(skein, { path: `/v2/models/${model.name}/infer`, body: inferBody(model, 1), connections: concurrency, durationS: seconds, warmupS: 1 });
    process.stdout.write(`c=${concurrency}: ${Math.round(r.rps)} rps, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, server ${r.serverCores.toFixed(2)} cores\n`);
  } finally {
    await skein.stop();
  }
  for (const file of (await readdir(profDir)).sort()) {
    const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as CpuProfile;
    process.stdout.write(`\n${file}\n${summarizeCpuProfile(profile).join('\n')}\n`);
  }
  if (process.env.KEEP_PROFILE) console.log(`profiles kept in ${profDir}`);
  else await rm(profDir, { recursive: true, force: true });
  await rm(model.repoDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
