import { ServingError } from '../../errors/index.js';
import type { FeedbackEvent, HistoryEntry, KpiCounts, PredictionRecord, TrafficStateOptions } from './types.js';

/** Wall-clock time in epoch ms. Not the monotonic util Clock: expiry times outlive the process. */
export interface WallClock {
  now(): number;
}

export const systemWallClock: WallClock = { now: () => Date.now() };

/** How long a prediction stays joinable when the options do not say: 7 days. */
export const DEFAULT_PREDICTION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Entries kept per model in the rollout history; older ones are dropped on append. */
export const HISTORY_MAX_ENTRIES = 1000;

export function predictionTtlMsOf(options: TrafficStateOptions): number {
  const ttlMs = options.predictionTtlMs ?? DEFAULT_PREDICTION_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new ServingError('INVALID_CONFIG', 'predictionTtlMs must be a positive whole number of milliseconds');
  }
  return ttlMs;
}

/** The number of newest history entries to return: limit clamped to [0, HISTORY_MAX_ENTRIES]. */
export function historyLimitOf(limit: number): number {
  if (!(limit > 0)) return 0;
  return Math.min(Math.floor(limit), HISTORY_MAX_ENTRIES);
}

/** The version group always counts; the experiment-arm group only when both names are present. */
export function armOf(record: Pick<PredictionRecord, 'experiment' | 'arm'>): { experiment: string; arm: string } | undefined {
  return record.experiment !== undefined && record.arm !== undefined ? { experiment: record.experiment, arm: record.arm } : undefined;
}

export function emptyKpis(): KpiCounts {
  return { predictions: 0, byType: {} };
}

export type KpiField = 'events' | 'units' | 'valueSum' | 'valueSumSq';

/** Sets one per-type field, creating the type's entry with zeros first. */
export function setKpi(kpis: KpiCounts, type: string, field: KpiField, value: number): void {
  const entry = (kpis.byType[type] ??= { events: 0, units: 0, valueSum: 0, valueSumSq: 0 });
  entry[field] = value;
}

export function historyEntryOf(atMs: number, event: string, detailJson: string): HistoryEntry {
  return { atMs, event, detail: JSON.parse(detailJson) as Record<string, unknown> };
}

/**
 * The identity a feedback event is deduplicated on: the eventId alone when there is one, else
 * (type, prediction). Types hold no ':' (the caller checks them), so the two forms never collide.
 */
export function eventIdentity(event: FeedbackEvent): string {
  return event.eventId !== undefined ? `id:${event.eventId}` : `type:${event.type}:${event.predictionId}`;
}
