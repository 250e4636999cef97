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
import { inferBody, prepareModel } from '../lib/model.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TOP = 25;

/** Buckets a frame by package (node_modules/<pkg>), Skein area (src/<area>), node internals or native. */
function groupOf(url: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const area = /\/src\/([^/]+)\//.exec(url);
  if (area) return `src/${area[1]}`;
  if (url.startsWith('node:') || /^[a-z_]+$/.test(url)) return 'node internals';
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  return url.replace(/^.*\//, '');
}

function summarize(profile: Profile): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)?/, '$1');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    byGroup.set(groupOf(f.url, f.functionName), (byGroup.get(groupOf(f.url, f.functionName)) ?? 0) + dt);
  });
  const idle = [...selfUs].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const busy = totalUs - idle;
  return [
    `  busy ${(busy / 1e6).toFixed(2)} s of ${(totalUs / 1e6).toFixed(2)} s; self time by origin:`,
    ...[...byGroup]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  [${k}]`),
    '  top functions:',
    ...[...selfUs]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`),
  ];
}

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
    const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as Profile;
    process.stdout.write(`\n${file}\n${summarize(profile).join('\n')}\n`);
  }
  if (process.env.KEEP_PROFILE) console.log(`profiles kept in ${profDir}`);
  else await rm(profDir, { recursive: true, force: true });
  await rm(model.repoDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
