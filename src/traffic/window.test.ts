import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeWindow } from './window.js';

test('p99 is within one bucket (~9%) of the true value and error rate counts failures', () => {
  const w = new OutcomeWindow();
  for (let i = 1; i <= 1000; i++) w.record(i % 50 !== 0, i / 100); // 0.01 … 10 ms
  const p99 = w.quantileMs(0.99);
  assert.ok(p99 >= 9.9 && p99 <= 9.9 * 1.1, `p99 ${p99}`);
  assert.equal(w.snapshot().errors, 20);
  assert.equal(w.errorRate, 0.02);
  assert.equal(new OutcomeWindow().quantileMs(0.99), 0);
});
