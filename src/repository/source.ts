import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What the repository holds for one model right now. */
export interface ModelSnapshot {
  name: string;
  /** config.yaml text, when present. */
  configText: string | undefined;
  /** Published versions (directories holding the model file), ascending. */
  versions: number[];
}

/**
 * A source says which models and versions exist. It never loads anything; the manager decides.
 * Contract: scan() is read-only and safe to call concurrently; modelFile() returns a path that
 * is guaranteed to lie inside the repository (no symlink leads out).
 */
export interface Source {
  scan(): Promise<Map<string, ModelSnapshot>>;
  scanModel(name: string): Promise<ModelSnapshot | undefined>;
  modelFile(name: string, version: number): Promise<string>;
}

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Triton: version directories are positive integers without a leading zero. */
const VERSION_PATTERN = /^[1-9][0-9]{0,15}$/;

export function isValidModelName(name: string): boolean {
  return MODEL_NAME_PATTERN.test(name) && !name.includes('..');
}

/**
 * `<repo>/<model>/<version>/model.onnx`. A version is published when its directory holds the
 * model file: publish by writing the directory elsewhere (e.g. `<model>/.tmp-3/`) and renaming it
 * to `<model>/3/`, which is atomic on one filesystem. Hidden and non-numeric directories are
 * ignored, so a half-written `.tmp-3` is never seen.
 */
export class FileSystemSource implements Source {
  private rootReal: string | undefined;

  constructor(private readonly root: string, private readonly fileName = 'model.onnx') {}

  private async realRoot(): Promise<string> {
    this.rootReal ??= await realpath(this.root);
    return this.rootReal;
  }

  /** True when `path` resolves (through any symlinks) to a place inside the repository. */
  private async inside(path: string): Promise<boolean> {
    try {
      const real = await realpath(path);
      const root = await this.realRoot();
      return real === root || real.startsWith(root + sep);
    } catch {
      return false;
    }
  }

  async scan(): Promise<Map<string, ModelSnapshot>> {
    const out = new Map<string, ModelSnapshot>();
    const entries = await readdir(this.root, { withFileTypes: true });
    for (const e of entries) {
      if (!isValidModelName(e.name)) continue;
      const snap = await this.scanModel(e.name);
      if (snap) out.set(e.name, snap);
    }
    return out;
  }

  async scanModel(name: string): Promise<ModelSnapshot | undefined> {
    if (!isValidModelName(name)) return undefined;
    const dir = join(this.root, name);
    if (!(await this.inside(dir))) return undefined;
    let entries;
    try {
      if (!(await stat(dir)).isDirectory()) return undefined;
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    const versions: number[] = [];
    for (const e of entries) {
      if (!VERSION_PATTERN.test(e.name)) continue;
      const file = join(dir, e.name, this.fileName);
      if (!(await this.inside(file))) continue;
      try {
        if ((await stat(file)).isFile()) versions.push(Number(e.name));
      } catch {
        // not published yet
      }
    }
    versions.sort((a, b) => a - b);
    let configText: string | undefined;
    const configPath = join(dir, 'config.yaml');
    try {
      const st = await lstat(configPath);
      if (st.isFile() || (st.isSymbolicLink() && (await this.inside(configPath)))) configText = await readFile(configPath, 'utf8');
    } catch {
      configText = undefined;
    }
    return { name, configText, versions };
  }

  async modelFile(name: string, version: number): Promise<string> {
    const file = join(this.root, name, String(version), this.fileName);
    if (!isValidModelName(name) || !(await this.inside(file))) {
      throw new Error('model file lies outside the repository');
    }
    return realpath(file);
  }
}
