export type {
  FeedbackEvent, FeedbackOutcome, HistoryEntry, KpiCounts, PredictionRecord, RolloutRecord, TrafficStateOptions, TrafficStateStore,
} from './types.js';
export type { WallClock } from './common.js';
export { DEFAULT_PREDICTION_TTL_MS, HISTORY_MAX_ENTRIES } from './common.js';
export { createTrafficState } from './create.js';
export { createSqliteTrafficState, type SqliteTrafficStateOptions } from './sqlite.js';
export { createRedisTrafficState } from './redis.js';
