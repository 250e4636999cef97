import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../util/index.js';
import { createSkewMonitor, summarize } from './index.js';
import type { FeatureSpec, SkewMonitorOptions } from './index.js';
import { seededRandom as mulberry32 } from '../../util/index.js';

const FEATURES: FeatureSpec[] = [
  { name: 'price', kind: 'numeric' },
  { name: 'quantity', kind: 'numeric' },
  { name: 'category', kind: 'categorical' },
];
const CATEGORIES = ['yarn', 'yarn', 'yarn', 'needles', 'needles', 'pattern', 'kit'];

/** A basket line: a lognormal price around $12, 1–5 items, a category; the score rises with price. */
function vectors(seed: number, n: number, priceScale = 1) {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const price = Math.exp(Math.log(12) + 0.5 * z);
    const vector = { price: price * priceScale, quantity: 1 + Math.floor(rng() * 5), category: CATEGORIES[Math.floor(rng() * CATEGORIES.length)]! };
    return { vector, prediction: 1 / (1 + Math.exp(-(vector.price - 12) / 4)) };
  });
}

const stats = summarize(FEATURES, vectors(1, 20_000).map((v) => v.vector));
const monitor = (over: Partial<SkewMonitorOptions> = {}) =>
  createSkewMonitor({ stats, clock: new ManualClock(), random: mulberry32(99), ...over });

describe('skew monitor', () => {
  test('prices served in cents instead of dollars are flagged on price only within 1,000 vectors', () => {
    const m = monitor({ sampleRate: 0.5 });
    for (const v of vectors(2, 1000, 100)) m.observe(v.vector, v.prediction);
    const report = m.report();
    assert.equal(report.status, 'flagged');
    assert.deepEqual(report.flagged, ['price']);
    assert.ok(report.features.price!.psi! > 1);
    assert.match(report.features.price!.reasons.join(' '), /PSI .* KS D/);
    const { observed, sampled } = m.counters();
    assert.equal(observed, 1000);
    assert.ok(sampled > 400 && sampled < 600, `sampled ${sampled}`);
    assert.equal(report.samples, sampled);
  });

  test('served vectors of the training distribution are not flagged', () => {
    const m = monitor({ sampleRate: 0.5 });
    for (const v of vectors(3, 1000)) m.observe(v.vector, v.prediction);
    const report = m.report();
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.flagged, []);
    for (const f of Object.values(report.features)) assert.equal(f.status, 'ok');
  });

  test('reports insufficient_data, never flagged, below minSamples', () => {
    const m = monitor();
    for (const v of vectors(4, 199, 100)) m.observe(v.vector);
    assert.equal(m.report().status, 'insufficient_data');
    assert.deepEqual(m.report().flagged, []);
    m.observe(vectors(5, 1, 100)[0]!.vector);
    assert.equal(m.report().status, 'flagged');
  });

  test('sampleRate 0 keeps nothing', () => {
    const m = monitor({ sampleRate: 0 });
    for (const v of vectors(6, 300)) m.observe(v.vector);
    assert.deepEqual(m.counters(), { observed: 300, sampled: 0, invalid: 0, retained: 0 });
    assert.equal(m.report().samples, 0);
  });

  test('a wrong-typed or absent value counts as missing and never throws', () => {
    const m = monitor();
    m.observe({ price: '12.50', quantity: 2, category: 'yarn' });
    m.observe({ price: 12, category: { nested: true } as never });
    m.observe(null as never);
    assert.deepEqual(m.counters(), { observed: 3, sampled: 3, invalid: 2, retained: 3 });
  });

  test('the window reservoir holds maxSamples at the bound and one past it', () => {
    const clock = new ManualClock();
    const m = monitor({ clock, maxSamples: 250, maxWindows: 3, windowMs: 1000 });
    const all = vectors(7, 5000);
    all.slice(0, 250).forEach((v) => m.observe(v.vector));
    assert.equal(m.counters().retained, 250);
    m.observe(all[250]!.vector);
    assert.equal(m.counters().retained, 250);
    assert.equal(m.counters().sampled, 251);
    for (let w = 0; w < 10; w++) {
      all.slice(w * 400, w * 400 + 400).forEach((v) => m.observe(v.vector));
      clock.advance(1000);
      const { retained } = m.counters();
      assert.ok(retained <= 250 * 3, `retained ${retained}`);
      for (const win of m.drift().windows) assert.ok(win.samples <= 250);
      assert.ok(m.report().samples <= 250 * 3);
    }
  });

  test('rejects bad options with INVALID_CONFIG naming the key', () => {
    assert.throws(() => monitor({ sampleRate: 1.5 }), { code: 'INVALID_CONFIG', message: /sampleRate/ });
    assert.throws(() => monitor({ maxWindows: 2 }), { code: 'INVALID_CONFIG', message: /maxWindows/ });
    assert.throws(() => monitor({ window: 60_000 } as never), { code: 'INVALID_CONFIG', message: /unknown key 'window'/ });
    assert.throws(() => monitor({ maxSamples: 100 }), { code: 'INVALID_CONFIG', message: /thresholds\.minSamples \(200\) exceeds maxSamples \(100\)/ });
    assert.throws(() => monitor({ stats: { format: 'other' } as never }), { code: 'INVALID_CONFIG', message: /stats/ });
  });
});

describe('drift', () => {
  const MINUTE = 60_000;

  test('windows rotate on the clock and a shifted later window is flagged against the reference', () => {
    const clock = new ManualClock(5_000);
    const m = monitor({ clock, windowMs: MINUTE, maxWindows: 4 });
    // 1,000 vectors a window: enough that KS needs D ≥ 0.1 (not only p < 0.001) to flag, so chance does not.
    const feed = (seed: number, priceScale = 1) => vectors(seed, 1000, priceScale).forEach((v) => m.observe(v.vector, v.prediction));

    feed(10);
    assert.equal(m.drift().reference, null);
    assert.equal(m.drift().status, 'insufficient_data');
    clock.advance(MINUTE);
    feed(11);
    clock.advance(MINUTE);
    feed(12, 1.5);
    clock.advance(MINUTE);

    const drift = m.drift();
    assert.deepEqual(drift.reference, { startMs: 5_000, endMs: 5_000 + MINUTE, observed: 1000, sampled: 1000, samples: 1000 });
    assert.deepEqual(drift.windows.map((w) => [w.startMs, w.status]), [[5_000 + MINUTE, 'ok'], [5_000 + 2 * MINUTE, 'flagged']]);
    assert.equal(drift.status, 'flagged');
    assert.deepEqual(drift.windows[1]!.flagged, ['price', 'prediction']);
    assert.ok(drift.windows[1]!.prediction!.psi! >= 0.25);
    assert.equal(drift.windows[1]!.ageMs, 0);

    // Two more windows push the shifted one out (maxWindows 4: reference, open, two closed);
    // the reference stays.
    feed(13);
    clock.advance(MINUTE);
    feed(14);
    clock.advance(MINUTE);
    const later = m.drift();
    assert.equal(later.reference!.startMs, 5_000);
    assert.deepEqual(later.windows.map((w) => [w.startMs, w.status]), [[5_000 + 3 * MINUTE, 'ok'], [5_000 + 4 * MINUTE, 'ok']]);
    assert.equal(later.status, 'ok');
  });

  test('a first window below minSamples does not become the reference; idle windows are not listed', () => {
    const clock = new ManualClock();
    const m = monitor({ clock, windowMs: MINUTE });
    vectors(20, 50).forEach((v) => m.observe(v.vector));
    clock.advance(MINUTE);
    vectors(21, 1000).forEach((v) => m.observe(v.vector));
    clock.advance(30 * MINUTE);
    vectors(22, 1000).forEach((v) => m.observe(v.vector));
    clock.advance(MINUTE);
    const drift = m.drift();
    assert.equal(drift.reference!.startMs, MINUTE);
    assert.deepEqual(drift.windows.map((w) => w.startMs), [31 * MINUTE]);
    assert.equal(drift.windows[0]!.prediction, null);
    assert.equal(drift.status, 'ok');
  });
});
