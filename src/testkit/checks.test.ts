import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { modelCounters } from './e2e.js';
import { compareOutput } from './functional.js';
import { instanceBody, parseModelMetadata, syntheticBody } from './requests.js';

describe('golden output comparison', () => {
  const got = { datatype: 'FP32', shape: [1, 2], data: [0.5, 0.25] };
  test('numbers within the tolerance match, at the bound and not one step past it', () => {
    assert.equal(compareOutput('p', { data: [0.5001, 0.25] }, got, 1e-4 + 1e-12), undefined);
    assert.match(compareOutput('p', { data: [0.5002, 0.25] }, got, 1e-4)!, /output "p"\[0\]: expected 0.5002 ± 0.0001, got 0.5/);
  });
  test('an output tolerance overrides the suite tolerance, nested expected data is flattened', () => {
    assert.equal(compareOutput('p', { data: [[0.6, 0.25]], tolerance: 0.2 }, got, 1e-4), undefined);
  });
  test('a missing output, another datatype, shape or length is reported', () => {
    assert.match(compareOutput('p', { data: [1] }, undefined, 0)!, /missing/);
    assert.match(compareOutput('p', { datatype: 'FP64', data: [] }, got, 0)!, /datatype FP32, expected FP64/);
    assert.match(compareOutput('p', { shape: [2], data: [] }, got, 0)!, /shape \[1,2\], expected \[2\]/);
    assert.match(compareOutput('p', { data: [0.5] }, got, 0)!, /2 values, expected 1/);
  });
  test('strings compare exactly', () => {
    assert.match(compareOutput('c', { data: ['a'] }, { data: ['b'] }, 1)!, /expected "a", got "b"/);
  });
});

describe('metrics counters', () => {
  const text = [
    '# TYPE nv_inference_request_success counter',
    'nv_inference_request_success{model="purchase",version="1"} 3',
    'nv_inference_request_success{model="purchase",version="2"} 4',
    'nv_inference_request_success{model="purchase2",version="1"} 100',
    'skein_request_duration_seconds_count{model="purchase",version="2"} 7',
    'skein_inflight_requests{model="purchase"} 9',
    'request_predict_seconds_count{model_name="purchase"} 2',
  ].join('\n');
  test('sums counter-like series labelled with the model, by name, ignoring other models and gauges', () => {
    assert.deepEqual(Object.fromEntries(modelCounters(text, 'purchase')), {
      nv_inference_request_success: 7, skein_request_duration_seconds_count: 7, request_predict_seconds_count: 2,
    });
  });
});

describe('requests from metadata', () => {
  const meta = parseModelMetadata({ name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }, { name: 'q', datatype: 'BYTES', shape: [-1, -1] }], outputs: [] });
  test('metadata without inputs is refused with a sentence', () => {
    assert.match(parseModelMetadata({ name: 'm', inputs: [], outputs: [] }) as string, /no valid `inputs`/);
  });
  test('a data row becomes a one-row request; a variable dimension takes the number of values', () => {
    assert.notEqual(typeof meta, 'string');
    const body = instanceBody(meta as Exclude<typeof meta, string>, { x: [1, 2, 3], q: ['a', 'b'] });
    assert.deepEqual(body.inputs.map((t) => t.shape), [[1, 3], [1, 2]]);
  });
  test('the synthetic request is zeros and empty strings with -1 read as 1', () => {
    const body = syntheticBody(meta as Exclude<typeof meta, string>);
    assert.deepEqual(body.inputs.map((t) => [t.shape, t.data]), [[[1, 3], [0, 0, 0]], [[1, 1], ['']]]);
  });
});
