import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ManualClock } from '../util/index.js';
import { TrafficMetrics } from './metrics.js';
import { PredictionRecorder } from './predictions.js';
import { createTrafficState } from './state/index.js';

const record = (id: string) => ({ id, model: 'm', version: '1', atMs: 0 });

test('records wait at most flushIntervalMs, and past maxPending they are dropped and counted', async () => {
  const registry = new Registry();
  const store = createTrafficState({ url: ':memory:' });
  const clock = new ManualClock();
  const recorder = new PredictionRecorder(store, clock, new TrafficMetrics(registry), pino({ level: 'silent' }), { maxPending: 2, maxBatch: 10, flushIntervalMs: 25 });
  recorder.record(record('a'));
  recorder.record(record('b'));
  recorder.record(record('c'));
  assert.ok(recorder.buffered('a'));
  assert.equal(recorder.buffered('c'), undefined);
  assert.match(await registry.metrics(), /skein_predictions_unrecorded_total\{reason="buffer_full"\} 1/);
  assert.equal(await store.getPrediction('a'), undefined);
  clock.advance(24);
  assert.ok(recorder.buffered('a'), 'still waiting before flushIntervalMs');
  clock.advance(1);
  assert.equal(recorder.buffered('a'), undefined, 'the timer took it');
  await recorder.flush(); // waits for the write the timer started
  assert.equal((await store.getPrediction('a'))?.model, 'm');
  await store.close();
});
