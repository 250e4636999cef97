import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServingError } from '../errors/index.js';
import {
  bucketize, clip, compileFeatureSet, count, defineFeatureSet, entity, feature, hash, localTime, log1p, loadFeatureSet, normalize,
  numeric, oneHot, overlap, request, saveFeatureSet, scale, schemaHashOf, sin, tokenize, FEATURES_FILE,
} from './index.js';
import type { FeatureSetInput } from './index.js';

function base(): FeatureSetInput {
  return {
    name: 'purchase',
    entities: { product: { keyField: 'product_id' } },
    features: [
      numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.25 })], { default: 0 }),
      feature('query_tokens', request('query', { maxLength: 256 }), [normalize(), tokenize()]),
      numeric('query_length', request('query', { maxLength: 256 }), [normalize(), tokenize(), count(), clip({ max: 8 })]),
    ],
    tensors: [{ name: 'features', datatype: 'FP32', features: ['log_price', 'query_length'] }],
  };
}

function definitionError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isServingError(err), String(err));
    assert.equal(err.code, 'INVALID_FEATURE_DEFINITION');
    for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" should include ${p}`);
    return true;
  });
}

describe('feature set validation', () => {
  test('a valid set defines and compiles, with widths and offsets', () => {
    const spec = defineFeatureSet(base());
    const set = compileFeatureSet(spec);
    assert.equal(set.tensors[0]!.width, 2);
    assert.deepEqual(set.tensors[0]!.features.map((f) => f.offset), [0, 1]);
    assert.deepEqual(set.features.map((f) => f.kind), ['numeric', 'categorical', 'numeric']);
  });

  test('an unknown key is rejected with its name and the feature', () => {
    const input = base();
    (input.features[0]!.transforms![1] as Record<string, unknown>).multiply = 2;
    definitionError(() => defineFeatureSet(input), 'feature "log_price"', 'unknown key "multiply"', 'transforms[1]');
    definitionError(() => defineFeatureSet({ ...base(), tensor: [] } as FeatureSetInput), 'unknown key "tensor"');
  });

  test('an unknown transform op or source kind lists the ones there are', () => {
    const input = base();
    input.features[0]!.transforms = [{ op: 'sqrt' } as never];
    definitionError(() => defineFeatureSet(input), 'feature "log_price"', 'must be one of', 'log1p');
    const other = base();
    other.features[0]!.source = { kind: 'database' } as never;
    definitionError(() => defineFeatureSet(other), 'feature "log_price"', 'request, entity, locale, time');
  });

  test('a duplicate feature name is rejected', () => {
    const input = base();
    input.features.push(numeric('log_price', entity('product', 'rating')));
    definitionError(() => defineFeatureSet(input), 'feature "log_price"', 'declared twice');
  });

  test('__proto__ is not a feature name', () => {
    const input = base();
    input.features.push(numeric('__proto__', entity('product', 'rating')));
    definitionError(() => defineFeatureSet(input), 'feature "__proto__"', 'not __proto__');
  });

  test('an undeclared entity, or a reference to a later feature, names the feature', () => {
    const input = base();
    input.features.push(numeric('rating', entity('shop', 'rating')));
    definitionError(() => defineFeatureSet(input), 'feature "rating"', 'entity "shop"');
    const later = base();
    later.features.unshift(numeric('title_match', request('q'), [normalize(), tokenize(), overlap('query_tokens')]));
    definitionError(() => defineFeatureSet(later), 'feature "title_match"', 'not declared before');
  });

  test('a transform given the wrong type says what it takes', () => {
    const input = base();
    input.features.push(numeric('bad', request('q'), [log1p()]));
    definitionError(() => defineFeatureSet(input), 'feature "bad"', 'transforms[0] (log1p)', 'takes number', 'is string');
  });

  test('a widening transform must come last', () => {
    const input = base();
    input.features.push(numeric('color', request('color'), [oneHot(['red']), scale({ mul: 2 })]));
    definitionError(() => defineFeatureSet(input), 'feature "color"', 'must come last');
  });

  test('bad parameters: unsorted boundaries, scale mixing both forms, zero buckets', () => {
    const mk = (t: ReturnType<typeof scale>) => ({ ...base(), features: [...base().features, numeric('x', request('x', { type: 'number' }), [t])] });
    definitionError(() => defineFeatureSet(mk(bucketize([1, 1]))), 'feature "x"', 'strictly increasing');
    definitionError(() => defineFeatureSet(mk({ op: 'scale', mul: 2, mean: 1, std: 1 })), 'feature "x"', 'not both');
    definitionError(() => defineFeatureSet(mk({ op: 'scale', mean: 1, std: 0 })), 'feature "x"', 'std > 0');
    definitionError(() => defineFeatureSet(mk(hash({ buckets: 0 }))), 'feature "x"', 'buckets');
  });

  test('tensors: unknown features, strings in FP32, numbers in BYTES, and duplicate names are rejected', () => {
    const t = (tensors: FeatureSetInput['tensors']) => ({ ...base(), tensors });
    definitionError(() => defineFeatureSet(t([{ name: 'f', datatype: 'FP32', features: ['nope'] }])), 'feature "nope"');
    definitionError(() => defineFeatureSet(t([{ name: 'f', datatype: 'FP32', features: ['query_tokens'] }])), 'feature "query_tokens"', 'token list');
    definitionError(() => defineFeatureSet(t([{ name: 'f', datatype: 'BYTES', features: ['log_price'] }])), 'feature "log_price"', 'BYTES');
    definitionError(() => defineFeatureSet(t([{ name: 'f', datatype: 'FP32', features: ['log_price'] }, { name: 'f', datatype: 'FP32', features: ['log_price'] }])), 'tensor "f"');
  });

  test('defaults must fit the feature: width of a one-hot, strings for strings', () => {
    const input = base();
    input.features.push(feature('color', request('color'), [oneHot(['red', 'blue'])], { default: [1, 0, 0] }));
    definitionError(() => defineFeatureSet(input), 'feature "color"', '3 numbers', '2 columns');
    const text = base();
    text.features.push(feature('q', request('query', { maxLength: 256 }), [normalize()], { default: 0 }));
    definitionError(() => defineFeatureSet(text), 'feature "q"', 'must be a string');
  });

  test('the same raw field read as a number and as a string is rejected', () => {
    const input = base();
    input.features.push(numeric('n', request('query', { type: 'number' })));
    definitionError(() => defineFeatureSet(input), 'raw field "query"');
  });

  test('a time source compiles to a number feature', () => {
    const input = base();
    input.features.push(numeric('hour_sin', localTime('hour'), [sin({ period: 24 })]));
    assert.equal(compileFeatureSet(input).features.at(-1)!.width, 1);
  });
});

describe('schema hash and features.json', () => {
  test('the hash does not depend on key order or on defaults left out', () => {
    const a = defineFeatureSet(base());
    const reversedDeep = JSON.parse(JSON.stringify(a), (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).reverse()) : v)) as object;
    const withoutDefaults = { ...base(), features: base().features.map(({ transforms, ...f }) => (transforms?.length ? { ...f, transforms } : f)) };
    assert.equal(compileFeatureSet(reversedDeep).schemaHash, schemaHashOf(a));
    assert.equal(compileFeatureSet(withoutDefaults).schemaHash, schemaHashOf(a));
    assert.match(schemaHashOf(a), /^[0-9a-f]{64}$/);
  });

  test('any change to a feature changes the hash', () => {
    const changed = base();
    changed.features[0] = numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.5 })], { default: 0 });
    assert.notEqual(compileFeatureSet(changed).schemaHash, compileFeatureSet(base()).schemaHash);
  });

  test('saves beside a model and loads back; a hand-edited file is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skein-features-'));
    try {
      const hash = await saveFeatureSet(dir, base());
      const loaded = await loadFeatureSet(dir);
      assert.equal(loaded.schemaHash, hash);
      assert.equal(JSON.parse(await readFile(join(dir, FEATURES_FILE), 'utf8')).schemaHash, hash);
      const edited = JSON.parse(await readFile(join(dir, FEATURES_FILE), 'utf8'));
      edited.features[0].default = 1;
      await writeFile(join(dir, FEATURES_FILE), JSON.stringify(edited));
      await assert.rejects(loadFeatureSet(dir), (err: unknown) => isServingError(err) && err.code === 'INVALID_FEATURE_DEFINITION' && /schemaHash/.test(err.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a version without features.json is FEATURES_NOT_CONFIGURED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skein-features-'));
    try {
      await assert.rejects(loadFeatureSet(dir), (err: unknown) => isServingError(err) && err.code === 'FEATURES_NOT_CONFIGURED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
