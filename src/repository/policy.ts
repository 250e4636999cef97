import type { VersionPolicy } from '../config/index.js';
import type { VersionState } from '../serving/types.js';

/** Which of the available versions should be served. Pure. */
export function aspiredVersions(available: readonly number[], policy: VersionPolicy): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  if ('all' in policy) return sorted;
  if ('latest' in policy) return sorted.slice(-policy.latest);
  const wanted = new Set(policy.specific);
  return sorted.filter((v) => wanted.has(v));
}

export type SwapMode = 'availability' | 'resource';

export type Action = { kind: 'load'; version: number } | { kind: 'unload'; version: number };

/**
 * The next lifecycle actions for one model, from a snapshot. Pure.
 * - availability: load every aspired version that is not loaded; unload a version that left the
 *   aspired set only once some aspired version is ready (or none is aspired at all), so a failed
 *   or slow new version never takes the last good one away.
 * - resource: unload versions that left the aspired set first; load only when nothing is unloading.
 * Failed versions are not retried here: a failure sticks until the version is loaded again by
 * command or the model is reloaded.
 */
export function nextActions(aspired: readonly number[], states: ReadonlyMap<number, VersionState>, mode: SwapMode): Action[] {
  const want = new Set(aspired);
  const loads: Action[] = aspired
    .filter((v) => states.get(v) === undefined || states.get(v) === 'unloaded')
    .map((version) => ({ kind: 'load', version }));
  const leaving = [...states.entries()].filter(([v, s]) => !want.has(v) && (s === 'ready' || s === 'failed')).map(([v]) => v);
  const anyAspiredReady = aspired.some((v) => states.get(v) === 'ready');
  const unloadingNow = [...states.values()].some((s) => s === 'unloading');

  if (mode === 'resource') {
    if (leaving.length > 0) return leaving.map((version) => ({ kind: 'unload', version }));
    return unloadingNow ? [] : loads;
  }
  const unloads: Action[] = leaving
    .filter((v) => states.get(v) === 'failed' || anyAspiredReady || want.size === 0)
    .map((version) => ({ kind: 'unload', version }));
  return [...unloads, ...loads];
}
