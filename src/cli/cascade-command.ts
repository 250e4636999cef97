import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { isServingError, ServingError } from '../errors/index.js';
import { allocateBatch, encodeRow, loadBatchModel, planInputs, toTensors, type BatchModel } from '../offline/index.js';
import { quoteName } from '../tensor/index.js';
import { parseTrafficConfig, type CascadeConfig, type CascadeRule } from '../traffic/index.js';
import { readJsonLines } from '../util/index.js';
// Not yet re-exported by src/traffic/index.ts; switch to '../traffic/index.js' once they are.
import { maxThreshold, ruleKind, rowConfidence, rowPredictions, withThreshold } from '../traffic/cascade-rule.js';
import { DEFAULT_TABLE_ROWS, MAX_TABLE_ROWS, tuneCascade, type StagePredictions, type TradeOffRow, type TuneResult } from '../traffic/tune.js';

/**
 * `skein cascade tune`: runs every stage of a cascade in process over labelled validation rows
 * and prints the cost/accuracy trade-off of its thresholds, and the cheapest thresholds that
 * reach a target accuracy as a traffic.yaml snippet. The choice itself is src/traffic/tune.ts.
 */

/** Exit codes: 0 the target is met; 1 failed; 2 bad flags or config; 3 no thresholds meet the target. */
export const CASCADE_EXIT = { met: 0, error: 1, usage: 2, targetMissed: 3 } as const;

/** Validation rows read at most; the tune holds every stage's scores for all of them. */
export const MAX_VALIDATION_ROWS = 1_000_000;
export const DEFAULT_BATCH_ROWS = 256;

export interface CascadeTuneOptions {
  modelRepository: string;
  trafficFile: string;
  cascade: string;
  validationFile: string;
  targetAccuracy: number;
  /** Field of each validation line holding the class; default "label". */
  labelField?: string;
  /** Rows per model run; default 256. */
  batchRows?: number;
  /** Rows of the 2-stage table; default 21. */
  tableRows?: number;
}

export interface StageReport {
  model: string;
  /** The version that ran (a number, even when the config names a label). */
  version: string;
  rule?: CascadeRule;
  costPerRow: number;
  /** "config": the stage's `cost`; "measured": mean runtime per row in microseconds. */
  costSource: 'config' | 'measured';
}

export interface CascadeTuneReport extends TuneResult {
  cascade: string;
  stages: StageReport[];
  /** The cascade with the recommended thresholds, as traffic.yaml text. */
  trafficYaml: string;
}

interface ValidationSet {
  inputs: Record<string, unknown>[];
  labels: Int32Array;
  lines: Int32Array;
}

const usage = (message: string) => new ServingError('INVALID_CONFIG', message);

function findCascade(text: string, name: string): CascadeConfig {
  const config = parseTrafficConfig(text, '--traffic');
  const cascade = config.cascades.find((c) => c.name === name);
  if (!cascade) {
    const known = config.cascades.map((c) => quoteName(c.name)).join(', ') || 'none';
    throw usage(`--traffic declares no cascade ${quoteName(name)} (it declares: ${known})`);
  }
  return cascade;
}

async function readValidation(path: string, labelField: string, binary: boolean): Promise<ValidationSet> {
  const inputs: Record<string, unknown>[] = [];
  const labels: number[] = [];
  const lines: number[] = [];
  let line = 0;
  const bad = (why: string) => new ServingError('INPUT_INVALID', `--validation line ${line}: ${why}`);
  const errors = {
    unreadable: () => usage('--validation cannot be read; check the path'),
    invalid: (at: number) => new ServingError('INPUT_INVALID', `--validation line ${at}: is not valid JSON`),
  };
  for await (const parsed of readJsonLines(path, errors)) {
    line = parsed.line;
    if (inputs.length === MAX_VALIDATION_ROWS) throw usage(`--validation holds more than ${MAX_VALIDATION_ROWS} rows; tune on a sample`);
    const row = parsed.value;
    const record = row as Record<string, unknown>;
    if (typeof row !== 'object' || row === null || typeof record.inputs !== 'object' || record.inputs === null || Array.isArray(record.inputs)) {
      throw bad('must be {"inputs": {"<input>": [values]}, "<label field>": <class>}');
    }
    const label = record[labelField];
    if (label === undefined) throw bad(`has no field ${quoteName(labelField)} (--label-field)`);
    if (!Number.isSafeInteger(label) || (label as number) < 0 || (binary && (label as number) > 1)) {
      throw bad(`${quoteName(labelField)} must be ${binary ? '0 or 1 (a margin rule is binary)' : 'a class index (an integer ≥ 0)'}`);
    }
    inputs.push(record.inputs as Record<string, unknown>);
    labels.push(label as number);
    lines.push(line);
  }
  return { inputs, labels: Int32Array.from(labels), lines: Int32Array.from(lines) };
}

/** The rule a stage's predictions are read with; the last stage borrows the previous rule's kind. */
function predictionRule(cascade: CascadeConfig, index: number, outputNames: readonly string[]): CascadeRule {
  const own = cascade.stages[index]!.rule;
  if (own) return own;
  const previous = cascade.stages[index - 1]!.rule!;
  const kind: CascadeRule = 'margin' in previous ? { margin: 0 } : { topProbability: 0 };
  // The same output name when the last model has it (same task, same signature), else its first output.
  return previous.output !== undefined && outputNames.includes(previous.output) ? { ...kind, output: previous.output } : kind;
}

interface StageRun {
  predictions: StagePredictions;
  /** Mean runtime per row (input, run, output), microseconds. */
  measuredCostPerRow: number;
}

async function runStage(model: BatchModel, cascade: CascadeConfig, index: number, data: ValidationSet, batchRows: number): Promise<StageRun> {
  const signature = model.loaded.signature;
  const outputNames = signature.outputs.map((o) => o.name);
  const inputNames = signature.inputs.map((i) => i.name);
  const plans = planInputs(signature, inputNames);
  const rule = cascade.stages[index]!.rule;
  const predictWith = predictionRule(cascade, index, outputNames);
  const n = data.labels.length;
  const scores = new Float64Array(n);
  const predicted = new Int32Array(n);
  const where = `stage ${index} (model ${quoteName(model.model)} version ${model.version})`;
  const batch = (start: number, rows: number) => {
    const buffers = allocateBatch(plans, rows);
    for (let slot = 0; slot < rows; slot++) {
      const values = data.inputs[start + slot]!;
      const missing = inputNames.find((name) => values[name] === undefined);
      const why = missing !== undefined ? `has no input ${quoteName(missing)}` : encodeRow(plans, inputNames.map((name) => values[name]), buffers, slot);
      if (why !== undefined) throw new ServingError('INPUT_INVALID', `--validation line ${data.lines[start + slot]} does not fit ${where}: ${why}`);
    }
    return toTensors(plans, buffers, rows, rows);
  };
  // One untimed run first: the first run of a session pays for allocations the rest do not.
  if (n > 0) await model.loaded.run(0, batch(0, Math.min(batchRows, n)));
  let totalNs = 0;
  for (let start = 0; start < n; start += batchRows) {
    const rows = Math.min(batchRows, n - start);
    const { outputs, timings } = await model.loaded.run(0, batch(start, rows));
    totalNs += timings.inputNs + timings.inferNs + timings.outputNs;
    const p = rowPredictions(predictWith, outputs, outputNames);
    if (p.length !== rows) throw new ServingError('INFERENCE_FAILED', `${where} answered ${p.length} rows for a batch of ${rows}`);
    predicted.set(p, start);
    if (rule) scores.set(rowConfidence(rule, outputs, outputNames), start);
  }
  return { predictions: { scores, predicted }, measuredCostPerRow: totalNs / 1000 / Math.max(n, 1) };
}

function snippet(cascade: CascadeConfig, thresholds: readonly number[]): string {
  const stages = cascade.stages.map((s, i) => ({
    model: s.model,
    ...(s.version === undefined ? {} : { version: /^[0-9]+$/.test(s.version) ? Number(s.version) : s.version }),
    ...(s.rule === undefined ? {} : { rule: withThreshold(s.rule, thresholds[i]!) }),
    ...(s.cost === undefined ? {} : { cost: s.cost }),
  }));
  return stringifyYaml({ cascades: [{ name: cascade.name, stages }] });
}

/** Loads, runs and tunes; the whole of `skein cascade tune` but printing. */
export async function runCascadeTune(options: CascadeTuneOptions): Promise<CascadeTuneReport> {
  const trafficText = await readFile(options.trafficFile, 'utf8').catch(() => { throw usage('--traffic cannot be read; check the path'); });
  const cascade = findCascade(trafficText, options.cascade);
  const binary = 'margin' in cascade.stages[0]!.rule!;
  const data = await readValidation(options.validationFile, options.labelField ?? 'label', binary);
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const runs: StageRun[] = [];
  const stages: StageReport[] = [];
  for (const [index, stage] of cascade.stages.entries()) {
    const model = await loadBatchModel(options.modelRepository, { model: stage.model, version: stage.version }, 1);
    try {
      const run = await runStage(model, cascade, index, data, batchRows);
      runs.push(run);
      stages.push({
        model: stage.model, version: model.version, ...(stage.rule ? { rule: stage.rule } : {}),
        costPerRow: stage.cost ?? run.measuredCostPerRow, costSource: stage.cost === undefined ? 'measured' : 'config',
      });
    } finally {
      await model.close();
    }
  }
  const result = tuneCascade({
    stages: runs.map((r) => r.predictions),
    labels: data.labels,
    costPerRow: stages.map((s) => s.costPerRow),
    targetAccuracy: options.targetAccuracy,
    maxThresholds: cascade.stages.slice(0, -1).map((s) => maxThreshold(ruleKind(s.rule!))),
    tableRows: options.tableRows ?? DEFAULT_TABLE_ROWS,
  });
  return { cascade: cascade.name, stages, ...result, trafficYaml: snippet(cascade, result.recommended.thresholds) };
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => String(Number(x.toPrecision(4)));

/** The human-readable report: stages, trade-off table, recommendation and traffic.yaml snippet. */
export function formatCascadeTuneReport(r: CascadeTuneReport): string {
  const last = r.stages.length - 1;
  const unit = r.stages.some((s) => s.costSource === 'measured') ? ' (measured: µs per row)' : '';
  const stageRows = [['stage', 'model', 'version', 'rule', 'cost/row', 'accuracy alone'], ...r.stages.map((s, i) => [
    String(i), s.model, s.version, s.rule ? ruleKind(s.rule) : '-', `${num(s.costPerRow)} (${s.costSource})`, r.accuracyPerStage[i]!.toFixed(4),
  ])];
  const kinds = r.stages.slice(0, -1).map((s, i) => `stage ${i} ${ruleKind(s.rule!)}`);
  const line = (t: TradeOffRow) => [...t.thresholds.map(num), ...t.shareAnsweredPerStage.map(pct), t.accuracy.toFixed(4), num(t.costPerRow), pct(t.costVsLastStage)];
  const table = [[...kinds, ...r.stages.map((_, i) => `stage ${i} answers`), 'accuracy', 'cost/row', `vs stage ${last} alone`], ...r.table.map(line)];
  const best = r.recommended;
  const verdict = best.metTarget
    ? `recommended: the cheapest thresholds reaching accuracy ${r.targetAccuracy}`
    : `no thresholds reach accuracy ${r.targetAccuracy}; the most accurate are`;
  return [
    `cascade ${r.cascade}: ${r.rows} validation rows, target accuracy ${r.targetAccuracy}${unit}`,
    '', ...columns(stageRows),
    '', ...columns(table),
    '', `${verdict}: ${best.thresholds.map((t, i) => `${kinds[i]} = ${t}`).join(', ')}`,
    `  stages answer ${best.shareAnsweredPerStage.map(pct).join(' / ')}, accuracy ${best.accuracy.toFixed(4)}, cost ${num(best.costPerRow)} per row = ${pct(best.costVsLastStage)} of always running stage ${last}`,
    '', 'traffic.yaml:', r.trafficYaml,
  ].join('\n');
}

const number = (flag: string, min: number, max: number, integer: boolean) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InvalidArgumentError(`${flag} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
  return n;
};

interface TuneFlags {
  modelRepository: string; traffic: string; cascade: string; validation: string; targetAccuracy: number;
  labelField: string; batchRows: number; tableRows: number; json?: boolean;
}

async function tuneAction(f: TuneFlags): Promise<number> {
  try {
    if (!(f.targetAccuracy > 0)) throw usage('--target-accuracy must be in (0, 1]');
    const report = await runCascadeTune({
      modelRepository: f.modelRepository, trafficFile: f.traffic, cascade: f.cascade, validationFile: f.validation,
      targetAccuracy: f.targetAccuracy, labelField: f.labelField, batchRows: f.batchRows, tableRows: f.tableRows,
    });
    process.stdout.write(f.json ? `${JSON.stringify(report)}\n` : `${formatCascadeTuneReport(report)}\n`);
    return report.recommended.metTarget ? CASCADE_EXIT.met : CASCADE_EXIT.targetMissed;
  } catch (err) {
    process.stderr.write(`skein cascade tune: ${err instanceof Error ? err.message : String(err)}\n`);
    return isServingError(err) && err.code === 'INVALID_CONFIG' ? CASCADE_EXIT.usage : CASCADE_EXIT.error;
  }
}

/** Commander's own parse errors (a missing or malformed flag) exit 2, like our usage errors. */
function exitOnParseError(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : CASCADE_EXIT.usage);
}

/** Adds `skein cascade tune` to the program. */
export function registerCascadeCommand(program: Command): void {
  const cascade = new Command('cascade').description('cascades: cheap models answer what they are sure of, expensive ones the rest').exitOverride(exitOnParseError);
  cascade.addCommand(new Command('tune')
    .description('run each stage of a cascade over labelled validation rows and recommend the cheapest thresholds that reach a target accuracy')
    .requiredOption('--model-repository <dir>', 'model repository: <dir>/<model>/<version>/model.onnx')
    .requiredOption('--traffic <file>', 'traffic.yaml declaring the cascade')
    .requiredOption('--cascade <name>', 'the cascade to tune')
    .requiredOption('--validation <file>', 'JSONL, one row a line: {"inputs": {"<input>": [values]}, "label": <class>}')
    .requiredOption('--target-accuracy <fraction>', 'accuracy the cascade must reach, in (0, 1]', number('--target-accuracy', 0, 1, false))
    .option('--label-field <field>', 'field of each line holding the class (0/1 for margin rules)', 'label')
    .option('--batch-rows <rows>', 'rows per model run', number('--batch-rows', 1, 65_536, true), DEFAULT_BATCH_ROWS)
    .option('--table-rows <rows>', `thresholds shown for a 2-stage cascade (2–${MAX_TABLE_ROWS})`, number('--table-rows', 2, MAX_TABLE_ROWS, true), DEFAULT_TABLE_ROWS)
    .option('--json', 'print the report as JSON')
    .exitOverride(exitOnParseError)
    .action(async (f: TuneFlags) => {
      process.exitCode = await tuneAction(f);
    }));
  program.addCommand(cascade);
}
