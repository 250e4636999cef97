import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainingStats } from './parse.js';
import { summarize } from './stats.js';

const stats = summarize(
  [{ name: 'price', kind: 'numeric' }, { name: 'colour', kind: 'categorical' }],
  Array.from({ length: 500 }, (_, i) => ({ price: (i * 37) % 100, colour: ['red', 'green', 'blue'][i % 3]!, ignored: 'x' })),
);
/** A JSON copy of the stats with `edit` applied, as a hand-edited file would be. */
function edited(edit: (o: any) => void): unknown {
  const o = JSON.parse(JSON.stringify(stats));
  edit(o);
  return o;
}

describe('parseTrainingStats', () => {
  test('reads back what summarize wrote, frozen', () => {
    const parsed = parseTrainingStats(JSON.parse(JSON.stringify(stats)));
    assert.deepEqual(parsed, stats);
    assert.ok(Object.isFrozen(parsed) && Object.isFrozen(parsed.features.price));
    assert.deepEqual(Object.keys(parsed.features), ['price', 'colour']);
  });

  test('rejects a wrong format with a message naming the field', () => {
    assert.throws(() => parseTrainingStats(edited((o) => { o.format = 'skein-training-stats/2'; })), {
      code: 'INVALID_CONFIG',
      message: /^training stats: format: unsupported format "skein-training-stats\/2"/,
    });
    assert.throws(() => parseTrainingStats(edited((o) => { delete o.format; })), { code: 'INVALID_CONFIG', message: /format:/ });
    assert.throws(() => parseTrainingStats('not json'), { code: 'INVALID_CONFIG', message: /\(root\)/ });
  });

  test('names the field of each broken invariant', () => {
    const cases: Array<[(o: any) => void, RegExp]> = [
      [(o) => { o.rows = -1; }, /rows:/],
      [(o) => { o.features.price.edges.reverse(); }, /features\.price\.edges: must be strictly ascending/],
      [(o) => { o.features.price.proportions.pop(); }, /features\.price\.proportions: must hold edges\.length \+ 1/],
      [(o) => { o.features.price.proportions[0] = 0.5; }, /features\.price\.proportions: must sum to 1/],
      [(o) => { o.features.price.sample.reverse(); }, /features\.price\.sample: must be sorted ascending/],
      [(o) => { o.features.price.kind = 'text'; }, /features\.price\.kind/],
      [(o) => { o.features.price.mean = 'high'; }, /features\.price\.mean/],
      [(o) => { o.features.colour.otherShare = 0.5; }, /features\.colour\.categories: shares plus otherShare must sum to 1/],
      [(o) => { o.features.colour.extra = 1; }, /unknown key 'features\.colour\.extra'/],
      [(o) => { o.features = {}; }, /features: must hold 1/],
    ];
    for (const [edit, message] of cases) {
      assert.throws(() => parseTrainingStats(edited(edit)), { code: 'INVALID_CONFIG', message }, String(message));
    }
  });

  test('rejects a feature named __proto__ instead of dropping it', () => {
    const text = JSON.stringify(stats).replace('"price"', '"__proto__"');
    assert.throws(() => parseTrainingStats(JSON.parse(text)), { code: 'INVALID_CONFIG', message: /features\.__proto__/ });
  });
});
