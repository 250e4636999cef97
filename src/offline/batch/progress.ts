import cliProgress from 'cli-progress';
import type { Clock } from '../../util/index.js';

/** What the job reports as it goes. `done`/`total` are in the reader's unit (bytes or rows). */
export interface ProgressSnapshot {
  rows: number;
  done: number;
  total: number;
}

export interface Progress {
  update(s: ProgressSnapshot): void;
  stop(s: ProgressSnapshot): void;
}

export interface ProgressFigures {
  rows: number;
  rowsPerSecond: number;
  /** Undefined until something is done. */
  etaS: number | undefined;
  percent: number;
}

/** Rows per second and ETA from the elapsed time and the share of the input consumed. */
export function figures(s: ProgressSnapshot, elapsedMs: number): ProgressFigures {
  const rowsPerSecond = elapsedMs > 0 ? (s.rows * 1000) / elapsedMs : 0;
  const share = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
  const etaS = share > 0 ? ((elapsedMs / share) * (1 - share)) / 1000 : undefined;
  return { rows: s.rows, rowsPerSecond: Math.round(rowsPerSecond), etaS: etaS === undefined ? undefined : Math.round(etaS), percent: Math.floor(share * 100) };
}

/**
 * One JSON line every `intervalMs` (and one at the end) for logs that are not a terminal.
 * Driven by update() calls, not timers, so a stalled job prints nothing new rather than
 * repeating itself.
 */
export function logProgress(write: (line: string) => void, clock: Clock, intervalMs: number): Progress {
  const start = clock.now();
  let last = start;
  const emit = (s: ProgressSnapshot, event: string): void => {
    write(`${JSON.stringify({ event, ...figures(s, clock.now() - start) })}\n`);
  };
  return {
    update(s) {
      if (clock.now() - last < intervalMs) return;
      last = clock.now();
      emit(s, 'batch_progress');
    },
    stop(s) {
      emit(s, 'batch_done');
    },
  };
}

/** A bar on a terminal: rows, rows/s, ETA (cli-progress). */
export function barProgress(stream: NodeJS.WriteStream, clock: Clock): Progress {
  const bar = new cliProgress.SingleBar({
    stream,
    format: 'batch |{bar}| {percentage}% | {rows} rows | {rate} rows/s | ETA {etaText}',
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  const start = clock.now();
  let started = false;
  const payload = (s: ProgressSnapshot): Record<string, unknown> => {
    const f = figures(s, clock.now() - start);
    return { rows: f.rows, rate: f.rowsPerSecond, etaText: f.etaS === undefined ? '…' : `${f.etaS}s` };
  };
  return {
    update(s) {
      if (!started) bar.start(Math.max(1, s.total), 0, payload(s));
      started = true;
      bar.update(s.done, payload(s));
    },
    stop(s) {
      if (!started) return;
      bar.update(s.total, payload(s));
      bar.stop();
    },
  };
}
