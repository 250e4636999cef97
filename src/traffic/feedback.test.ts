import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isServingError } from '../errors/index.js';
import { feedbackTypes, parseFeedback } from './feedback.js';

const types = feedbackTypes(['page_view']);

function refused(body: unknown, pattern: RegExp, max = 10): void {
  assert.throws(() => parseFeedback(body, types, max), (err: unknown) => isServingError(err) && err.code === 'INVALID_FEEDBACK' && pattern.test(err.message));
}

test('accepts one event or a list, with optional value and event_id', () => {
  assert.deepEqual(parseFeedback({ prediction_id: 'p1', type: 'click' }, types, 10), [{ predictionId: 'p1', type: 'click' }]);
  assert.deepEqual(parseFeedback({ events: [{ prediction_id: 'p1', type: 'purchase', value: 12.5, event_id: 'order-9' }, { prediction_id: 'p2', type: 'page_view' }] }, types, 10), [
    { predictionId: 'p1', type: 'purchase', value: 12.5, eventId: 'order-9' },
    { predictionId: 'p2', type: 'page_view' },
  ]);
});

test('refuses malformed events with a message naming the event and field', () => {
  refused([], /JSON object/);
  refused({ events: [] }, /non-empty/);
  refused({ events: [{ prediction_id: 'p', type: 'click' }, { type: 'click' }] }, /event 1: prediction_id/);
  refused({ prediction_id: 'p', type: 'teleport' }, /unknown type 'teleport'/);
  refused({ prediction_id: 'p', type: 'Click' }, /type must be/);
  refused({ prediction_id: 'p', type: 'purchase', value: -1 }, /value/);
  refused({ prediction_id: 'p', type: 'purchase', value: Number.NaN }, /value/);
  refused({ prediction_id: 'p', type: 'purchase', value: '3' }, /value/);
  refused({ prediction_id: 'p', type: 'click', user: 'alice@example.com' }, /unknown field 'user'/);
  refused({ prediction_id: 'p', type: 'click', event_id: '' }, /event_id/);
  refused({ prediction_id: '../../etc', type: 'click' }, /prediction_id/);
});

test('maxEventsPerRequest is the bound: at it accepted, one past it refused', () => {
  const events = (n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ prediction_id: `p${i}`, type: 'click' })) });
  assert.equal(parseFeedback(events(3), types, 3).length, 3);
  refused(events(4), /at most 3/, 3);
});
