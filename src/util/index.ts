export { systemClock, ManualClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { seededRandom } from './random.js';
export { splitRedisPrefix } from './redis-url.js';
export { startModuleWorker } from './worker-thread.js';
export { createTurnMerger } from './turn-merger.js';
export type { TurnMerger, TurnMergerOptions } from './turn-merger.js';
export { readJsonLines } from './json-lines.js';
export type { JsonLine, JsonLineErrors } from './json-lines.js';
