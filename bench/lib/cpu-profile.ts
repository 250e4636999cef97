/** Reading V8 CPU profiles (node --cpu-prof, or the inspector's Profiler) for the probes. */
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Buckets a frame by package (node_modules/<pkg>), Skein area (src/<area>), node internals or native. */
export function originOf(url: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const area = /\/src\/([^/]+)\//.exec(url);
  if (area) return `src/${area[1]}`;
  if (url.startsWith('node:') || /^[a-z_]+$/.test(url)) return 'node internals';
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  return url.replace(/^.*\//, '');
}

/** Busy time, then self time by origin (top 12) and by function (top `top`), as shares of busy time. */
export function summarizeCpuProfile(profile: CpuProfile, top = 25): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    if (f.functionName === '(idle)') {
      idleUs += dt;
      return;
    }
    const file = f.url.replace(/^.*\/(node_modules\/)?/, '$1');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    const origin = originOf(f.url, f.functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + dt);
  });
  const busy = totalUs - idleUs;
  const share = (v: number): string => `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
  return [
    `busy ${(busy / 1e6).toFixed(2)} s of ${(totalUs / 1e6).toFixed(2)} s; self time by origin:`,
    ...[...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `  ${share(v)}  [${k}]`),
    'top functions (self time):',
    ...[...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `  ${share(v)}  ${k}`),
  ];
}
