/** Model-repository chores the benches share: safe publishing and reading the server's index. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleepMs } from './stats.js';

/** The documented safe way to publish a version: write a hidden directory, then rename it into place. */
export async function publishVersion(repo: string, model: string, version: number, bytes: Uint8Array): Promise<void> {
  const hidden = join(repo, model, `.tmp-${version}`);
  await mkdir(hidden, { recursive: true });
  await writeFile(join(hidden, 'model.onnx'), bytes);
  await rename(hidden, join(repo, model, String(version)));
}

export interface IndexEntry {
  name: string;
  version?: string;
  state: string;
  reason?: string;
}

export async function repositoryIndex(origin: string): Promise<IndexEntry[]> {
  const res = await fetch(`${origin}/v2/repository/index`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  return (await res.json()) as IndexEntry[];
}

/** `version:STATE` of each listed version of `model`, joined by commas, e.g. `7:READY`. */
export async function versionStates(origin: string, model: string): Promise<string> {
  return (await repositoryIndex(origin))
    .filter((e) => e.name === model)
    .map((e) => `${e.version}:${e.state}`)
    .join(',');
}

/** Polls `check` every `everyMs` until it holds; false when `limitMs` passed first. */
export async function until(check: () => Promise<boolean>, limitMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleepMs(everyMs);
  }
  return false;
}
