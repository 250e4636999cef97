import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isServingError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { acceptedRows, ruleOutputName, rowConfidence, rowPredictions, withThreshold } from './cascade-rule.js';
import { RuleSchema } from './config.js';

const rule = (raw: unknown) => RuleSchema.parse(raw);

function fp32(name: string, shape: number[], values: number[]): Tensor {
  return { name, datatype: 'FP32', shape, data: Float32Array.from(values) };
}

function close(actual: Float64Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-6, `row ${i}: ${actual[i]} vs ${e}`));
}

function rejectsWith(fn: () => unknown, code: string, words: RegExp): void {
  assert.throws(fn, (err: unknown) => isServingError(err) && err.code === code && words.test(err.message));
}

describe('margin rule (binary)', () => {
  const probability = fp32('probability', [5, 1], [0.95, 0.5, 0.1, 0.7, 0.3]);

  test('scores each row of a batch by |p − 0.5|', () => {
    close(rowConfidence(rule({ margin: 0.3 }), [probability]), [0.45, 0, 0.4, 0.2, 0.2]);
  });

  test('accepts exactly the rows whose margin reaches the threshold, on either side of 0.5', () => {
    assert.deepEqual(acceptedRows(rule({ margin: 0.3 }), [probability]), [true, false, true, false, false]);
    assert.deepEqual(acceptedRows(rule({ margin: 0 }), [probability]), [true, true, true, true, true]);
    assert.deepEqual(acceptedRows(rule({ margin: 0.5 }), [probability]), [false, false, false, false, false]);
  });

  test('a row exactly at the threshold is accepted (score ≥ threshold)', () => {
    const exact = { name: 'p', datatype: 'FP64', shape: [2, 1], data: Float64Array.from([0.75, 0.7499]) } as Tensor;
    assert.deepEqual(acceptedRows(rule({ margin: 0.25 }), [exact]), [true, false]);
  });

  test('reads the first value of each row when the output has several per row', () => {
    const wide = fp32('p', [2, 2], [0.9, 0.1, 0.45, 0.55]);
    close(rowConfidence(rule({ margin: 0.1 }), [wide]), [0.4, 0.05]);
  });

  test('predicts 1 when p ≥ 0.5, else 0', () => {
    assert.deepEqual(Array.from(rowPredictions(rule({ margin: 0.1 }), [probability])), [1, 1, 0, 1, 0]);
  });

  test('a NaN probability is never confident', () => {
    assert.deepEqual(acceptedRows(rule({ margin: 0 }), [fp32('p', [2, 1], [NaN, 0.9])]), [false, true]);
  });
});

describe('topProbability rule (multiclass)', () => {
  const probabilities = fp32('probabilities', [3, 3], [0.7, 0.2, 0.1, 0.34, 0.33, 0.33, 0.05, 0.05, 0.9]);

  test('scores each row by its largest probability, over a batch of rows', () => {
    close(rowConfidence(rule({ topProbability: 0.6 }), [probabilities]), [0.7, 0.34, 0.9]);
    assert.deepEqual(acceptedRows(rule({ topProbability: 0.6 }), [probabilities]), [true, false, true]);
    assert.deepEqual(acceptedRows(rule({ topProbability: 0.8 }), [probabilities]), [false, false, true]);
  });

  test('predicts the argmax class of each row', () => {
    assert.deepEqual(Array.from(rowPredictions(rule({ topProbability: 0.5 }), [probabilities])), [0, 0, 2]);
  });

  test('reads the output the rule names, not the first one', () => {
    const category = { name: 'category', datatype: 'INT64', shape: [3], data: BigInt64Array.from([0n, 0n, 2n]) } as Tensor;
    const r = rule({ topProbability: 0.6, output: 'probabilities' });
    assert.deepEqual(acceptedRows(r, [category, probabilities]), [true, false, true]);
  });

  test('defaults to the model\'s first output in signature order when the rule names none', () => {
    const other = fp32('logits', [3, 1], [5, 5, 5]);
    assert.equal(ruleOutputName(rule({ topProbability: 0.5 }), [other, probabilities], ['probabilities', 'logits']), 'probabilities');
    assert.deepEqual(acceptedRows(rule({ topProbability: 0.6 }), [other, probabilities], ['probabilities', 'logits']), [true, false, true]);
  });

  test('decodes FP16 probabilities', () => {
    // 0x3a00 = 0.75, 0x3400 = 0.25 in IEEE half precision.
    const half = { name: 'p', datatype: 'FP16', shape: [1, 2], data: Uint16Array.from([0x3400, 0x3a00]) } as Tensor;
    close(rowConfidence(rule({ topProbability: 0.5 }), [half]), [0.75]);
  });

  test('an empty batch scores no rows', () => {
    assert.deepEqual(acceptedRows(rule({ topProbability: 0.5 }), [fp32('p', [0, 3], [])]), []);
  });
});

describe('rule errors', () => {
  const probability = fp32('probability', [2, 1], [0.9, 0.2]);

  test('a named output the stage did not return fails with INFERENCE_FAILED naming it', () => {
    rejectsWith(() => acceptedRows(rule({ margin: 0.2, output: 'score' }), [probability]), 'INFERENCE_FAILED', /'score'/);
  });

  test('a named output the model does not have is a config error listing the outputs it has', () => {
    rejectsWith(() => rowConfidence(rule({ margin: 0.2, output: 'score' }), [probability], ['probability']), 'INVALID_CONFIG', /'score'.*'probability'/);
  });

  test('a BYTES output cannot be scored: INVALID_CONFIG that says to point the rule at a probability', () => {
    const names = { name: 'category_name', datatype: 'BYTES', shape: [1], data: ['yarn/wool'] } as Tensor;
    rejectsWith(() => rowConfidence(rule({ topProbability: 0.5 }), [names]), 'INVALID_CONFIG', /BYTES.*numeric/);
  });

  test('no outputs at all fails with INFERENCE_FAILED', () => {
    rejectsWith(() => rowConfidence(rule({ margin: 0.1 }), []), 'INFERENCE_FAILED', /no outputs/);
  });

  test('data that does not fit the shape fails with INFERENCE_FAILED', () => {
    rejectsWith(() => rowConfidence(rule({ margin: 0.1 }), [fp32('p', [3, 1], [0.1, 0.2])]), 'INFERENCE_FAILED', /holds 2 values/);
  });

  test('withThreshold keeps the rule kind and output', () => {
    assert.deepEqual(withThreshold(rule({ margin: 0.1, output: 'p' }), 0.25), { margin: 0.25, output: 'p' });
    assert.deepEqual(withThreshold(rule({ topProbability: 0.1 }), 0.8), { topProbability: 0.8 });
  });
});
