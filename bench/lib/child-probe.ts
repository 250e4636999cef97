/**
 * Runs inside each benched server process: answers the bench's IPC questions about the process's
 * event-loop delay and CPU time, so both servers are measured the same way without touching them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeReading {
  /** Event-loop delay percentiles since the last reset (ms, the 10 ms sampling interval taken off). */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU time of the whole process (all threads) since it started, in ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
}

export type ProbeMessage = { kind: 'reset' } | { kind: 'read' };

const RESOLUTION_MS = 10;

/** Installs the IPC handler; a process started without an IPC channel ignores it. */
export function installProbe(): void {
  if (!process.send) return;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  process.on('message', (msg: ProbeMessage) => {
    if (msg.kind === 'reset') {
      histogram.reset();
      process.send!({ kind: 'reset-done' });
      return;
    }
    const cpu = process.cpuUsage();
    // The histogram records whole timer intervals; what matters is the delay beyond them.
    const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
    const reading: ProbeReading = {
      loopDelayP50Ms: ms(histogram.percentile(50)),
      loopDelayP99Ms: ms(histogram.percentile(99)),
      loopDelayMaxMs: ms(histogram.max),
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
    };
    process.send!({ kind: 'reading', reading });
  });
  // The channel must not keep a server alive after the bench has gone.
  process.channel?.unref();
}

/** Announces the bound port on stdout, the one line the parent waits for. */
export function announcePort(port: number): void {
  process.stdout.write(`PORT ${port}\n`);
}
