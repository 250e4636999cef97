import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ShadowSchema } from './config.js';
import { TrafficMetrics } from './metrics.js';
import { ShadowMirror, maxAbsDiff } from './shadow.js';
import type { InferRequest, InferResponse } from '../serving/index.js';

const t = (data: number[], name = 'y') => ({ name, datatype: 'FP32' as const, shape: [1, data.length], data: Float32Array.from(data) });

test('maxAbsDiff is the largest element difference, Infinity when outputs cannot be compared', () => {
  assert.equal(maxAbsDiff([t([1, 2, 3])], [t([1, 2.5, 3])]), 0.5);
  assert.equal(maxAbsDiff([t([1, 2, 3])], [t([1, 2, 3])]), 0);
  assert.equal(maxAbsDiff([t([1, 2, 3])], [t([1, 2])]), Infinity);
  assert.equal(maxAbsDiff([t([1])], [t([1], 'z')]), Infinity);
  assert.equal(maxAbsDiff([{ name: 'c', datatype: 'BYTES', shape: [1], data: ['a'] }], [{ name: 'c', datatype: 'BYTES', shape: [1], data: ['b'] }]), Infinity);
});

test('mirrors only the sampled share, never past maxInflight, and counts matches and mismatches', async () => {
  const registry = new Registry();
  const metrics = new TrafficMetrics(registry);
  let r = 0;
  const sequence = [0.05, 0.5, 0.01, 0.02];
  const mirror = new ShadowMirror(ShadowSchema.parse({ model: 'm', version: 2, percent: 10, maxInflight: 1, tolerance: 0.1 }), metrics, () => sequence[r++ % sequence.length]!);
  const req: InferRequest = { model: 'm', inputs: [t([1, 2])] };
  const primary: InferResponse = { model_name: 'm', model_version: '1', outputs: [t([1, 2])] };
  let release!: () => void;
  const pending = new Promise<void>((res) => { release = res; });
  const calls: InferRequest[] = [];
  const call = async (x: InferRequest) => {
    calls.push(x);
    await pending;
    return { model_name: 'm', model_version: '2', outputs: [t([1, 2.5])] };
  };
  const done1 = mirror.maybeMirror(req, call); // 0.05 → sampled
  assert.ok(done1);
  assert.equal(mirror.maybeMirror(req, call), undefined); // 0.5 → not sampled
  assert.equal(mirror.maybeMirror(req, call), undefined); // 0.01 → sampled, but maxInflight reached: dropped
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.version, '2');
  assert.notEqual(calls[0]!.inputs[0]!.data, req.inputs[0]!.data, 'the mirror runs on its own copy of the inputs');
  done1!(primary);
  release();
  const text = async () => registry.metrics();
  for (let i = 0; i < 50 && !(await text()).includes('outcome="mismatch"'); i++) await new Promise((res) => setImmediate(res));
  const out = await text();
  assert.match(out, /skein_shadow_requests_total\{model="m",version="2",outcome="mismatch"\} 1/);
  assert.match(out, /skein_shadow_requests_total\{model="m",version="2",outcome="dropped"\} 1/);
});
