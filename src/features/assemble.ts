import { ServingError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { compileFeatureSet, type CompiledFeatureSet } from './compile.js';
import type { FeatureMetrics } from './metrics.js';
import { parseRaw, type ParsedRaw } from './raw.js';
import { computeRow, vectorOf, writeBytesRow, writeFp32Row, type ComputedRow } from './row.js';
import type { EntityRecord, FeatureStore } from './store/index.js';

/**
 * The serving side of the feature pipeline: raw rows in, the model's input tensors out.
 *
 * Contract:
 *   - One batched store lookup per entity for the whole batch (distinct ids only), the entities
 *     looked up concurrently; each lookup is bounded by lookupTimeoutMs.
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
  /** Per row, every feature's value (null = missing, its default went to the tensor). */
  vectors: Record<string, number | string | null>[];
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

type Lookup = Map<string, EntityRecord> | 'failed';

export function createFeatureAssembler(options: FeatureAssemblerOptions): FeatureAssembler {
  const set = isCompiled(options.spec) ? options.spec : compileFeatureSet(options.spec);
  const { store, metrics } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ASSEMBLE_ROWS;
  const setName = set.spec.name;

  async function lookup(entity: string, ids: string[]): Promise<Lookup> {
    if (ids.length === 0) return new Map();
    const started = clock.now();
    let timer: { cancel(): void } | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => reject(new Error(`feature store lookup took longer than ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([store.get(entity, ids), timeout]);
    } catch (err) {
      options.onStoreError?.(entity, err);
      return 'failed';
    } finally {
      timer?.cancel();
      metrics?.lookupSeconds.observe({ source: entity }, (clock.now() - started) / 1000);
    }
  }

  function tensorsOf(rows: readonly ComputedRow[]): Tensor[] {
    const n = rows.length;
    return set.tensors.map((t) => {
      if (t.datatype === 'BYTES') {
        const data = new Array<string>(n * t.width);
        rows.forEach((r, i) => writeBytesRow(set, t, r.cells, data, i * t.width));
        return { name: t.name, datatype: 'BYTES', shape: [n, t.width], data };
      }
      const data = new Float32Array(n * t.width);
      rows.forEach((r, i) => writeFp32Row(set, t, r.cells, data, i * t.width));
      return { name: t.name, datatype: 'FP32', shape: [n, t.width], data };
    });
  }

  async function assemble(raws: readonly unknown[]): Promise<AssembledBatch> {
    if (raws.length > maxRows) throw new ServingError('TOO_MANY_ELEMENTS', `a raw request holds at most ${maxRows} rows; split it`);
    const parsed: ParsedRaw[] = raws.map((raw, i) => parseRaw(set, raw, raws.length > 1 ? ` (row ${i})` : ''));
    const lookups = await Promise.all(set.entities.map((e) => {
      const ids = new Set<string>();
      for (const p of parsed) if (p.keys[e.index] !== undefined) ids.add(p.keys[e.index]!);
      return lookup(e.name, [...ids]);
    }));
    let missing = 0;
    const rows = parsed.map((p) => {
      const entities = set.entities.map((e) => {
        const id = p.keys[e.index];
        const found = lookups[e.index]!;
        if (id !== undefined && found === 'failed') {
          metrics?.storeErrors.inc({ feature_set: setName });
          return undefined;
        }
        const record = id === undefined || found === 'failed' ? undefined : found.get(id);
        if (record === undefined) metrics?.missing.inc({ feature_set: setName, entity: e.name });
        return record?.values;
      });
      const row = computeRow(set, p.row, entities);
      missing += row.missing;
      return row;
    });
    return { tensors: tensorsOf(rows), vectors: rows.map((r) => vectorOf(set, r.cells)), missing };
  }

  return { featureSet: set, assemble };
}
