import { ServingError } from '../../errors/index.js';
import type { RunInfo, RunStatus } from '../types.js';

/**
 * The run lifecycle, as pure decisions every store applies the same way:
 * writing → complete (completeRun) → passed | failed (setGateResult) → published (publish).
 * A run is written only while `writing`; it is published only once complete, and only when it
 * passed its gate unless forced.
 */

export function setNotFound(): ServingError {
  return new ServingError('SET_NOT_FOUND', 'no run of this prediction set is published; publish one with `skein predictions publish`');
}

export function runNotFound(message = 'no run of that id in this prediction set; see `skein predictions list`'): ServingError {
  return new ServingError('RUN_NOT_FOUND', message);
}

export function runNotPublishable(message: string): ServingError {
  return new ServingError('RUN_NOT_PUBLISHABLE', message);
}

function runNotWritable(): ServingError {
  return new ServingError('RUN_NOT_WRITABLE', 'the run is complete and takes no more chunks; start a new run id');
}

/** A chunk may be written only into a run that exists and is still `writing`. */
export function checkWritable<R extends Pick<RunInfo, 'status'>>(run: R | undefined): R {
  if (run === undefined) throw runNotFound('beginRun must be called before writeChunk');
  if (run.status !== 'writing') throw runNotWritable();
  return run;
}

/** completeRun is idempotent: a resumed job that completes again keeps the gate's verdict. */
export function statusAfterComplete(status: RunStatus): RunStatus {
  return status === 'writing' ? 'complete' : status;
}

export function checkGateable(run: RunInfo | undefined): RunInfo {
  if (run === undefined) throw runNotFound();
  if (run.status === 'writing') throw runNotPublishable('the run is still being written; complete it before recording a gate result');
  return run;
}

/** Returns whether the publish is forced (recorded on the run), or throws why it is refused. */
export function checkPublishable(run: RunInfo | undefined, force: boolean): { forced: boolean } {
  if (run === undefined) throw runNotFound();
  if (run.status === 'writing') {
    // Never, not even forced: a half-written run must not be looked up.
    throw runNotPublishable('the run is still being written; a run is published only once complete');
  }
  if (run.status === 'passed') return { forced: false };
  if (force) return { forced: true };
  const why = run.status === 'failed' ? 'failed its validation gate' : 'has not been through its validation gate';
  throw runNotPublishable(`the run ${why}; fix it and run the gate, or publish with --force (recorded on the run)`);
}
