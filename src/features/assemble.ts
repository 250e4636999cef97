import { ServingError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { compileFeatureSet, type CompiledFeatureSet } from './compile.js';
import type { FeatureMetrics } from './metrics.js';
import { parseRaw, type ParsedRaw } from './raw.js';
import { computeRow, vectorOf, writeBytesRow, writeFp32Row, type ComputedRow } from './row.js';
import { DeadlineQueue, type Timed } from './deadlines.js';
import type { EntityRecord, FeatureStore } from './store/index.js';

/**
 * The serving side of the feature pipeline: raw rows in, the model's input tensors out.
 *
 * Contract:
 *   - One batched store lookup per entity for the whole batch (distinct ids only), the entities
 *     looked up concurrently; each lookup is bounded by lookupTimeoutMs (one timer for all of
 *     them: deadlines.ts).
 *   - A raw field that breaks the feature set's rules rejects the whole call with
 *     INVALID_RAW_INPUT naming the field and the row; more than maxRows rows, TOO_MANY_ELEMENTS.
 *   - A missing entity (no id, or not in the store) and a store that fails or times out never
 *     reject: the entity's features take their declared defaults, counted in the metrics and in
 *     `missing`. So a store outage costs quality, never a 5xx.
 *   - Tensors: FP32 → Float32Array [rows, width]; BYTES → string[] [rows, features].
 *   - Safe to call concurrently; holds no state between calls.
 */
export interface AssembledBatch {
  tensors: Tensor[];
  /**
   * Per row, every feature's value (null = missing, its default went to the tensor). Built on
   * first read (a getter on the batch, so a spread or JSON.stringify of the batch leaves it out).
   */
  readonly vectors: Record<string, number | string | null>[];
  /** Feature values that were missing and took their default, over the whole batch. */
  missing: number;
}

export interface FeatureAssembler {
  readonly featureSet: CompiledFeatureSet;
  assemble(raws: readonly unknown[]): Promise<AssembledBatch>;
}

export interface FeatureAssemblerOptions {
  /** The feature set: a spec (validated here) or one compiled already (loadFeatureSet). */
  spec: unknown;
  store: FeatureStore;
  metrics?: FeatureMetrics;
  /** For lookup timing and timeouts (default systemClock). */
  clock?: Clock;
  /** A store lookup slower than this is abandoned; its entities take defaults (default 250). */
  lookupTimeoutMs?: number;
  /** Rows per call (default 4096). */
  maxRows?: number;
  /** Told of each failed lookup (to log it); the call itself goes on with defaults. */
  onStoreError?: (entity: string, err: unknown) => void;
}

export const DEFAULT_LOOKUP_TIMEOUT_MS = 250;
export const DEFAULT_MAX_ASSEMBLE_ROWS = 4096;

function isCompiled(spec: unknown): spec is CompiledFeatureSet {
  return typeof spec === 'object' && spec !== null && 'rawFields' in spec && 'schemaHash' in spec && 'spec' in spec;
}

type Lookup = ReadonlyMap<string, EntityRecord> | 'failed';

/** The lookup of no ids: nothing is asked of the store. Only ever read. */
const NOTHING: Promise<Lookup> = Promise.resolve(new Map<string, EntityRecord>());
const NO_IDS: string[] = [];

/**
 * The batch an assembly answers. `vectors` are built from the computed rows on first read and
 * kept: a caller that needs only the tensors (most of them) never pays for them.
 */
class AssembledRows implements AssembledBatch {
  readonly tensors: Tensor[];
  readonly missing: number;
  readonly #set: CompiledFeatureSet;
  readonly #rows: readonly ComputedRow[];
  #vectors: Record<string, number | string | null>[] | undefined;

  constructor(set: CompiledFeatureSet, rows: readonly ComputedRow[], tensors: Tensor[], missing: number) {
    this.tensors = tensors;
    this.missing = missing;
    this.#set = set;
    this.#rows = rows;
  }

  get vectors(): Record<string, number | string | null>[] {
    if (this.#vectors === undefined) {
      const rows = this.#rows;
      const vectors = new Array<Record<string, number | string | null>>(rows.length);
      for (let i = 0; i < rows.length; i++) vectors[i] = vectorOf(this.#set, rows[i]!);
      this.#vectors = vectors;
    }
    return this.#vectors;
  }
}

/**
 * One store lookup in flight: its entry in the deadline queue, and what settles it. It lets go of
 * the assembly's promise once settled, so that nothing it is still referenced from (the queue, a
 * store's pending reply) keeps the lookup's records alive.
 */
class InFlight implements Timed {
  atMs = 0;
  pending = false;
  resolve: ((result: Lookup) => void) | undefined;

  constructor(readonly entity: string, readonly startedMs: number, private readonly onTimeout: (flight: InFlight) => void) {}

  expire(): void {
    this.onTimeout(this);
  }
}

/** The distinct ids of entity `e` over the rows, in first-seen order. */
function idsOf(parsed: readonly ParsedRaw[], e: number): string[] {
  if (parsed.length === 1) {
    const id = parsed[0]!.keys[e];
    return id === undefined ? NO_IDS : [id];
  }
  const ids = new Set<string>();
  for (const p of parsed) if (p.keys[e] !== undefined) ids.add(p.keys[e]!);
  return [...ids];
}

export function createFeatureAssembler(options: FeatureAssemblerOptions): FeatureAssembler {
  const set = isCompiled(options.spec) ? options.spec : compileFeatureSet(options.spec);
  const { store, metrics } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ASSEMBLE_ROWS;
  const setName = set.spec.name;
  const entities = set.entities;
  // One timer for every lookup in flight rather than a timer (and a Promise.race) per lookup.
  const deadlines = new DeadlineQueue(clock, timeoutMs);

  /** The end of one lookup (once: the deadline queue decides who wins), reported and timed. */
  function end(flight: InFlight, result: Lookup, err: unknown): void {
    const resolve = flight.resolve!;
    flight.resolve = undefined;
    if (result === 'failed') options.onStoreError?.(flight.entity, err);
    if (metrics !== undefined) metrics.lookupSeconds.observe({ source: flight.entity }, (clock.now() - flight.startedMs) / 1000);
    resolve(result);
  }

  const timedOut = (flight: InFlight): void => end(flight, 'failed', new Error(`feature store lookup took longer than ${timeoutMs} ms`));

  /** Never rejects: a store that fails, throws or outlasts timeoutMs gives 'failed'. */
  function lookup(entity: string, ids: string[], startedMs: number): Promise<Lookup> {
    if (ids.length === 0) return NOTHING;
    const flight = new InFlight(entity, startedMs, timedOut);
    const result = new Promise<Lookup>((resolve) => {
      flight.resolve = resolve;
    });
    deadlines.add(flight, startedMs);
    let found: Promise<Map<string, EntityRecord>>;
    try {
      found = store.get(entity, ids);
    } catch (err) {
      if (deadlines.settle(flight)) end(flight, 'failed', err);
      return result;
    }
    found.then((records) => {
      if (deadlines.settle(flight)) end(flight, records, undefined);
    }, (err: unknown) => {
      if (deadlines.settle(flight)) end(flight, 'failed', err);
    });
    return result;
  }

  function tensorsOf(rows: readonly ComputedRow[]): Tensor[] {
    const n = rows.length;
    const tensors = new Array<Tensor>(set.tensors.length);
    for (let k = 0; k < set.tensors.length; k++) {
      const t = set.tensors[k]!;
      if (t.datatype === 'BYTES') {
        const data = new Array<string>(n * t.width);
        for (let i = 0; i < n; i++) writeBytesRow(set, t, rows[i]!, data, i * t.width);
        tensors[k] = { name: t.name, datatype: 'BYTES', shape: [n, t.width], data };
      } else {
        const data = new Float32Array(n * t.width);
        for (let i = 0; i < n; i++) writeFp32Row(set, t, rows[i]!, data, i * t.width);
        tensors[k] = { name: t.name, datatype: 'FP32', shape: [n, t.width], data };
      }
    }
    return tensors;
  }

  /** The stored values of each entity of one row (by entity index), counted in the metrics. */
  function entityValues(keys: readonly (string | undefined)[], lookups: readonly Lookup[], out: (Readonly<Record<string, unknown>> | undefined)[]): void {
    for (let e = 0; e < entities.length; e++) {
      const id = keys[e];
      const found = lookups[e]!;
      if (id !== undefined && found === 'failed') {
        metrics?.storeErrors.inc({ feature_set: setName });
        out[e] = undefined;
        continue;
      }
      const record = id === undefined || found === 'failed' ? undefined : found.get(id);
      if (record === undefined) metrics?.missing.inc({ feature_set: setName, entity: entities[e]!.name });
      out[e] = record?.values;
    }
  }

  async function assemble(raws: readonly unknown[]): Promise<AssembledBatch> {
    if (raws.length > maxRows) throw new ServingError('TOO_MANY_ELEMENTS', `a raw request holds at most ${maxRows} rows; split it`);
    const n = raws.length;
    const parsed = new Array<ParsedRaw>(n);
    for (let i = 0; i < n; i++) parsed[i] = parseRaw(set, raws[i], n > 1 ? ` (row ${i})` : '');
    const pending = new Array<Promise<Lookup>>(entities.length);
    const startedMs = entities.length > 0 ? clock.now() : 0;
    for (let e = 0; e < entities.length; e++) pending[e] = lookup(entities[e]!.name, idsOf(parsed, e), startedMs);
    const lookups = await Promise.all(pending);
    let missing = 0;
    const rows = new Array<ComputedRow>(n);
    // computeRow reads the entity values while it runs and keeps none, so one array serves every row.
    const values = new Array<Readonly<Record<string, unknown>> | undefined>(entities.length);
    for (let i = 0; i < n; i++) {
      entityValues(parsed[i]!.keys, lookups, values);
      const row = computeRow(set, parsed[i]!.row, values);
      missing += row.missing;
      rows[i] = row;
    }
    return new AssembledRows(set, rows, tensorsOf(rows), missing);
  }

  return { featureSet: set, assemble };
}
