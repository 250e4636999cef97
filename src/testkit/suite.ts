/**
 * The suite file: which suites to run against a model and with what data and thresholds. YAML or
 * JSON; unknown keys are rejected; file references (`examples`, `data`, `baseline`) are resolved
 * against the suite file's directory and read once, so the rest of the kit sees plain values.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ServingError } from '../errors/index.js';

/** Hard bounds, so a typo in a suite file cannot start an unbounded run. */
export const SUITE_LIMITS = {
  maxStatisticalRequests: 100_000,
  maxConcurrency: 256,
  maxTotalRps: 10_000,
  maxLoadDurationMs: 600_000,
  maxInFlight: 10_000,
} as const;

const int = z.number().int();
const tensor = z.object({
  name: z.string().min(1),
  datatype: z.string().min(1),
  shape: z.array(int.nonnegative()),
  data: z.array(z.unknown()),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
}).strict();

const expectedOutput = z.object({
  datatype: z.string().optional(),
  shape: z.array(int.nonnegative()).optional(),
  data: z.array(z.unknown()),
  tolerance: z.number().nonnegative().optional(),
}).strict();

const example = z.object({
  name: z.string().optional(),
  inputs: z.array(tensor).min(1),
  outputs: z.record(z.string(), expectedOutput),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
}).strict();

const instance = z.record(z.string(), z.unknown());
const baseline = z.union([z.array(z.number()).min(1), z.record(z.string(), z.number().nonnegative())]);

const comparedOutput = z.object({
  name: z.string().min(1),
  kind: z.enum(['score', 'class']),
  baseline: z.union([z.string(), baseline]),
  ksMinPValue: z.number().min(0).max(1).default(0.01),
  psiMax: z.number().nonnegative().default(0.2),
  chiSquareMinPValue: z.number().min(0).max(1).default(0.01),
  bins: int.min(2).max(100).default(10),
}).strict();

const loadThresholds = z.object({
  p50Ms: z.number().positive().optional(),
  p95Ms: z.number().positive().optional(),
  p99Ms: z.number().positive().default(1000),
  maxMs: z.number().positive().optional(),
  maxErrorRate: z.number().min(0).max(1).default(0.01),
  minRateRatio: z.number().min(0).max(1).default(0.9),
}).strict();

const schema = z.object({
  model: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
  requestTimeoutMs: int.min(1).max(600_000).optional(),
  functional: z.object({
    examples: z.union([z.string(), z.array(example).min(1)]),
    tolerance: z.number().nonnegative().default(1e-4),
  }).strict().optional(),
  statistical: z.object({
    data: z.union([z.string(), z.array(instance).min(1)]),
    requests: int.min(1).max(SUITE_LIMITS.maxStatisticalRequests).optional(),
    concurrency: int.min(1).max(SUITE_LIMITS.maxConcurrency).default(4),
    outputs: z.array(comparedOutput).min(1),
  }).strict().optional(),
  errors: z.object({
    enabled: z.boolean().default(true),
    maxBodyBytes: int.min(1).max(2 ** 31).default(64 * 1024 * 1024),
  }).strict().default({ enabled: true, maxBodyBytes: 64 * 1024 * 1024 }),
  load: z.object({
    enabled: z.boolean().default(true),
    users: int.min(1).max(SUITE_LIMITS.maxConcurrency).default(2),
    ratePerUser: z.number().positive().default(5),
    durationMs: int.min(100).max(SUITE_LIMITS.maxLoadDurationMs).default(2000),
    maxInFlight: int.min(1).max(SUITE_LIMITS.maxInFlight).default(64),
    thresholds: loadThresholds.default(loadThresholds.parse({})),
  }).strict()
    .refine((l) => l.users * l.ratePerUser <= SUITE_LIMITS.maxTotalRps, { message: `users × ratePerUser must be at most ${SUITE_LIMITS.maxTotalRps} requests/s` })
    .optional(),
  e2e: z.object({
    enabled: z.boolean().default(true),
    metricsPath: z.string().startsWith('/').default('/metrics'),
    feedbackPath: z.string().startsWith('/').default('/v2/feedback'),
  }).strict().default({ enabled: true, metricsPath: '/metrics', feedbackPath: '/v2/feedback' }),
}).strict();

export type SuiteFile = z.infer<typeof schema>;
export type GoldenExample = z.infer<typeof example>;
export type ExpectedOutput = z.infer<typeof expectedOutput>;
export type Instance = z.infer<typeof instance>;
export type LoadConfig = NonNullable<z.infer<typeof schema>['load']>;
export type LoadThresholds = z.infer<typeof loadThresholds>;
export type ErrorsConfig = z.infer<typeof schema>['errors'];
export type E2eConfig = z.infer<typeof schema>['e2e'];

export interface ComparedOutput extends Omit<z.infer<typeof comparedOutput>, 'baseline'> {
  baseline: number[] | Record<string, number>;
}

/** A suite with every file reference read: what the suites consume. */
export interface Suite extends Omit<SuiteFile, 'functional' | 'statistical' | 'load'> {
  functional?: { examples: GoldenExample[]; tolerance: number };
  statistical?: { data: Instance[]; requests?: number; concurrency: number; outputs: ComparedOutput[] };
  load: LoadConfig;
}

/** The load test run when no suite file asks otherwise: short, gentle, bounded. */
export const DEFAULT_LOAD: LoadConfig = {
  enabled: true, users: 2, ratePerUser: 5, durationMs: 2000, maxInFlight: 64, thresholds: loadThresholds.parse({}),
};

/** The suite used without a suite file: only what needs no data. */
export function defaultSuite(): Suite {
  return resolveInline(schema.parse({}));
}

/** Reads a suite file (YAML or JSON) and every file it references. */
export async function loadSuite(path: string): Promise<Suite> {
  const raw = await readData(path, 'suite file');
  return parseSuite(raw, dirname(path));
}

/** Validates a suite object; relative file references resolve against `baseDir`. */
export async function parseSuite(raw: unknown, baseDir: string): Promise<Suite> {
  const file = check(schema, raw ?? {}, 'suite file');
  const suite = resolveInline(file);
  if (file.functional) {
    const examples = typeof file.functional.examples === 'string'
      ? check(z.array(example).min(1), unwrap(await readData(resolve(baseDir, file.functional.examples), 'functional.examples'), 'examples'), 'functional.examples')
      : file.functional.examples;
    suite.functional = { examples, tolerance: file.functional.tolerance };
  }
  if (file.statistical) {
    const s = file.statistical;
    const data = typeof s.data === 'string'
      ? check(z.array(instance).min(1), unwrap(await readData(resolve(baseDir, s.data), 'statistical.data'), 'instances'), 'statistical.data')
      : s.data;
    const outputs = await Promise.all(s.outputs.map(async (o) => ({
      ...o,
      baseline: typeof o.baseline === 'string'
        ? check(baseline, unwrap(await readData(resolve(baseDir, o.baseline), 'statistical.outputs.baseline'), 'baseline'), 'statistical.outputs.baseline')
        : o.baseline,
    })));
    const wrong = outputs.find((o) => o.kind === 'score' && !Array.isArray(o.baseline));
    if (wrong) throw new ServingError('INVALID_CONFIG', 'statistical.outputs.baseline: a score output needs a list of numbers (the model\'s scores on training data)');
    suite.statistical = { data, concurrency: s.concurrency, outputs, ...(s.requests !== undefined ? { requests: s.requests } : {}) };
  }
  return suite;
}

function check<T>(type: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = type.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = issue.path.length > 0 ? `: ${issue.path.join('.')}` : '';
  throw new ServingError('INVALID_CONFIG', `${what}${at}: ${issue.message}`);
}

function resolveInline(file: SuiteFile): Suite {
  const { functional: _f, statistical: _s, load, ...rest } = file;
  return { ...rest, load: load ?? DEFAULT_LOAD };
}

/** A referenced file may hold the list itself or an object with the list under `key`. */
function unwrap(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && key in value) {
    return (value as Record<string, unknown>)[key];
  }
  return value;
}

/** JSON, JSON lines (.jsonl, .ndjson) or YAML, chosen by extension. */
async function readData(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ServingError('INVALID_CONFIG', `${what}: cannot read the file; check the path (relative paths start at the suite file's folder)`);
  }
  try {
    const ext = extname(path).toLowerCase();
    if (ext === '.jsonl' || ext === '.ndjson') {
      return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
    }
    if (ext === '.json') return JSON.parse(text) as unknown;
    return parseYaml(text) as unknown;
  } catch {
    throw new ServingError('INVALID_CONFIG', `${what}: the file is not valid JSON, JSON lines or YAML`);
  }
}
