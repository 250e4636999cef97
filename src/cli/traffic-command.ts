import { Command, Option } from 'commander';

/**
 * Operator commands against a running server's traffic routes (docs/traffic.md):
 *   skein rollout status|start|pause|resume|promote|rollback <model>
 *   skein experiment list | report <name>
 *   skein label set <model> <label> <version>
 * The credential comes from the environment (SKEIN_TOKEN: a bearer token or API key), never a
 * flag, so it does not show in `ps`.
 */
const urlOption = () => new Option('--url <url>', 'the Skein server').default('http://127.0.0.1:8000');

async function call(method: string, url: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = process.env.SKEIN_TOKEN;
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new Error(`cannot reach ${new URL(url).origin}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let doc: unknown;
  try {
    doc = text ? JSON.parse(text) : {};
  } catch {
    doc = { error: text };
  }
  if (!res.ok) {
    const e = doc as { code?: string; error?: string };
    throw new Error(`${res.status} ${e.code ?? ''}: ${e.error ?? text}`.trim());
  }
  return doc;
}

const print = (doc: unknown): void => {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
};

export function rolloutCommand(): Command {
  const cmd = new Command('rollout').description('canary rollouts: read state, start, pause, resume, promote, roll back');
  cmd.command('status [model]').description('state, windows and history (all rollouts without a model)')
    .addOption(urlOption())
    .action(async (model: string | undefined, opts: { url: string }) => {
      print(await call('GET', `${opts.url}/v2/rollouts${model ? `/${encodeURIComponent(model)}` : ''}`));
    });
  for (const action of ['start', 'pause', 'resume', 'promote', 'rollback'] as const) {
    cmd.command(`${action} <model>`).description(`${action} the model's rollout`)
      .addOption(urlOption())
      .option('--reason <text>', 'recorded in the rollout history')
      .action(async (model: string, opts: { url: string; reason?: string }) => {
        print(await call('POST', `${opts.url}/v2/rollouts/${encodeURIComponent(model)}/${action}`, opts.reason ? { reason: opts.reason } : {}));
      });
  }
  return cmd;
}

export function experimentCommand(): Command {
  const cmd = new Command('experiment').description('A/B/n experiments: list them, read per-arm KPIs with significance');
  cmd.command('list').addOption(urlOption()).action(async (opts: { url: string }) => print(await call('GET', `${opts.url}/v2/experiments`)));
  cmd.command('report <name>').addOption(urlOption())
    .option('--json', 'print the raw JSON report')
    .action(async (name: string, opts: { url: string; json?: boolean }) => {
      const r = await call('GET', `${opts.url}/v2/experiments/${encodeURIComponent(name)}/report`) as ReportDoc;
      if (opts.json) print(r);
      else process.stdout.write(formatReport(r));
    });
  return cmd;
}

export function labelCommand(): Command {
  const cmd = new Command('label').description('version labels (stable, canary, any name)');
  cmd.command('list <model>').addOption(urlOption()).action(async (model: string, opts: { url: string }) => {
    print(await call('GET', `${opts.url}/v2/models/${encodeURIComponent(model)}/labels`));
  });
  cmd.command('set <model> <label> <version>').description('point a label at a ready version (atomic)').addOption(urlOption())
    .action(async (model: string, label: string, version: string, opts: { url: string }) => {
      print(await call('PUT', `${opts.url}/v2/models/${encodeURIComponent(model)}/labels/${encodeURIComponent(label)}`, { version: Number(version) }));
    });
  return cmd;
}

interface ReportDoc {
  experiment: string;
  control: string;
  alpha: number;
  arms: { name: string; version: string; exposures: number; kpis: Record<string, { units: number; rate: number; valuePerExposure: number }> }[];
  comparisons: { arm: string; metric: string; control: number | null; treatment: number | null; relativeLift: number | null; ci: [number, number] | null; pValue: number | null; significant: boolean }[];
  srm: { pValue: number; mismatch: boolean };
}

const num = (x: number | null, digits = 4): string => (x === null ? '—' : x.toFixed(digits));

/** A plain-text table of the report, for terminals. */
export function formatReport(r: ReportDoc): string {
  const lines = [`experiment ${r.experiment} (control: ${r.control}, alpha ${r.alpha})`, ''];
  const types = [...new Set(r.arms.flatMap((a) => Object.keys(a.kpis)))];
  lines.push(['arm', 'version', 'exposures', ...types.map((t) => `${t} rate`)].join('\t'));
  for (const a of r.arms) lines.push([a.name, a.version, String(a.exposures), ...types.map((t) => num(a.kpis[t]?.rate ?? 0))].join('\t'));
  lines.push('', ['arm', 'metric', 'control', 'treatment', 'lift', 'CI of difference', 'p', 'significant'].join('\t'));
  for (const c of r.comparisons) {
    lines.push([c.arm, c.metric, num(c.control), num(c.treatment), c.relativeLift === null ? '—' : `${(c.relativeLift * 100).toFixed(1)}%`,
      c.ci ? `[${num(c.ci[0])}, ${num(c.ci[1])}]` : '—', num(c.pValue), c.significant ? 'yes' : 'no'].join('\t'));
  }
  lines.push('', `sample ratio mismatch: ${r.srm.mismatch ? 'YES — assignment or logging is broken; do not trust the effects' : 'no'} (p = ${num(r.srm.pValue)})`, '');
  return lines.join('\n');
}
