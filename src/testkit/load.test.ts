import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../util/index.js';
import { loadVerdicts, runOpenLoop, type SendOutcome } from './load.js';
import type { LoadSummary } from './types.js';

/** Lets every settled promise run its callbacks. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A send whose answers the test releases one by one, recording the clock at each send. */
function controlledSend(clock: ManualClock) {
  const pending: Array<(o: SendOutcome) => void> = [];
  const sentAtMs: number[] = [];
  return {
    pending, sentAtMs,
    send: () => new Promise<SendOutcome>((resolve) => {
      sentAtMs.push(clock.now());
      pending.push(resolve);
    }),
  };
}

async function step(clock: ManualClock, totalMs: number, stepMs: number): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    clock.advance(stepMs);
    await flush();
  }
}

describe('open-loop load generator', () => {
  test('sends rate × duration requests at their scheduled times; an instant server has zero latency', async () => {
    const clock = new ManualClock();
    let sent = 0;
    const run = runOpenLoop({ targetRps: 10, durationMs: 1000, maxInFlight: 100, clock, send: async () => { sent++; return { ok: true }; } });
    await flush();
    await step(clock, 1000, 100);
    const s = await run;
    assert.equal(sent, 10);
    assert.equal(s.scheduled, 10);
    assert.equal(s.ok, 10);
    assert.deepEqual(s.samples.map((x) => x.scheduledAtMs), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    assert.equal(s.maxMs, 0);
    assert.equal(s.errorRate, 0);
    assert.equal(s.achievedRps, 10);
  });

  test('keeps sending on schedule while earlier requests are unanswered, and measures latency from the scheduled time', async () => {
    const clock = new ManualClock();
    const c = controlledSend(clock);
    const run = runOpenLoop({ targetRps: 10, durationMs: 500, maxInFlight: 100, clock, send: c.send });
    await step(clock, 500, 100);
    // A closed-loop client would still be waiting on the first answer; this one sent all five.
    assert.deepEqual(c.sentAtMs, [0, 100, 200, 300, 400]);
    for (const resolve of c.pending) resolve({ ok: true });
    const s = await run;
    assert.deepEqual(s.samples.map((x) => x.latencyMs), [500, 400, 300, 200, 100]);
    assert.equal(s.p50Ms, 300);
    assert.equal(s.maxMs, 500);
  });

  test('a stalled client does not hide latency: requests due during the stall count from when they were due', async () => {
    const clock = new ManualClock();
    const run = runOpenLoop({ targetRps: 10, durationMs: 300, maxInFlight: 100, clock, send: async () => ({ ok: true }) });
    clock.advance(300); // no microtask runs during advance: the answers are only seen at 300 ms
    await flush();
    const s = await run;
    assert.deepEqual(s.samples.map((x) => x.latencyMs), [300, 200, 100]);
  });

  test('drops and counts requests once maxInFlight are outstanding, at the bound and one past it', async () => {
    const clock = new ManualClock();
    const c = controlledSend(clock);
    const run = runOpenLoop({ targetRps: 10, durationMs: 500, maxInFlight: 3, clock, send: c.send });
    await step(clock, 500, 100);
    assert.equal(c.sentAtMs.length, 3);
    for (const resolve of c.pending) resolve({ ok: false, error: 'HTTP 500' });
    const s = await run;
    assert.equal(s.sent, 3);
    assert.equal(s.dropped, 2);
    assert.equal(s.errors, 3);
    assert.equal(s.errorRate, 1);
    assert.ok(s.errorMessages.includes('HTTP 500'));
    assert.ok(s.errorMessages.some((m) => m.includes('maxInFlight')));
  });

  test('schedules at least one request however short the run', async () => {
    const clock = new ManualClock();
    const s = await runOpenLoop({ targetRps: 1, durationMs: 100, maxInFlight: 1, clock, send: async () => ({ ok: true }) });
    assert.equal(s.scheduled, 1);
  });
});

describe('load verdicts', () => {
  const summary = (over: Partial<LoadSummary>): LoadSummary => ({
    targetRps: 10, durationMs: 1000, scheduled: 10, sent: 10, ok: 10, errors: 0, dropped: 0, errorRate: 0, achievedRps: 10,
    p50Ms: 5, p95Ms: 9, p99Ms: 10, maxMs: 12, samples: [], errorMessages: [], ...over,
  });
  const thresholds = { p99Ms: 10, maxErrorRate: 0.1, minRateRatio: 0.9 };

  test('p99 exactly at its threshold passes and just over it fails', () => {
    assert.equal(loadVerdicts(summary({ p99Ms: 10 }), thresholds).find(([n]) => n.startsWith('p99'))![1], undefined);
    assert.match(loadVerdicts(summary({ p99Ms: 10.01 }), thresholds).find(([n]) => n.startsWith('p99'))![1]!, /over 10 ms/);
  });

  test('error rate at the bound passes and past it fails', () => {
    const rate = (r: number) => loadVerdicts(summary({ errorRate: r }), thresholds).find(([n]) => n.startsWith('error'))![1];
    assert.equal(rate(0.1), undefined);
    assert.match(rate(0.11)!, /error rate 11\.00%/);
  });

  test('achieved rate under the share of the target fails', () => {
    const rate = (r: number) => loadVerdicts(summary({ achievedRps: r }), thresholds).find(([n]) => n.startsWith('achieved'))![1];
    assert.equal(rate(9), undefined);
    assert.match(rate(8.9)!, /achieved 8\.9/);
  });

  test('latency thresholds not set are not checked', () => {
    assert.equal(loadVerdicts(summary({}), thresholds).some(([n]) => n.startsWith('p50')), false);
  });
});
