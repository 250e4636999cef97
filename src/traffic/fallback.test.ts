import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { BrokenCircuitError } from 'cockatiel';
import { ServingError, isServingError } from '../errors/index.js';
import type { InferRequest } from '../serving/index.js';
import { FallbackSchema } from './config.js';
import { FallbackChain } from './fallback.js';
import { TrafficMetrics } from './metrics.js';

const req: InferRequest = { model: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], data: Float32Array.from([1, 2]) }] };
const failing = async (): Promise<never> => { throw new ServingError('INFERENCE_FAILED', 'boom'); };

test('an open breaker with every fallback failing answers CIRCUIT_OPEN', async () => {
  const chain = new FallbackChain(FallbackSchema.parse({ model: 'm', chain: [{ version: 2 }] }), new TrafficMetrics(new Registry()));
  await assert.rejects(chain.recover(new BrokenCircuitError(), req, failing), (err: unknown) => isServingError(err) && err.code === 'CIRCUIT_OPEN');
});

test('a code outside `on` is returned as it is, and the chain is not tried', async () => {
  let tried = 0;
  const chain = new FallbackChain(FallbackSchema.parse({ model: 'm', on: ['QUEUE_FULL'], chain: [{ version: 2 }] }), new TrafficMetrics(new Registry()));
  const bad = new ServingError('INVALID_SHAPE', 'bad input');
  await assert.rejects(chain.recover(bad, req, async () => { tried++; throw bad; }), (err: unknown) => err === bad);
  assert.equal(tried, 0);
});

test('the default step answers one value per row', async () => {
  const chain = new FallbackChain(FallbackSchema.parse({ model: 'm', chain: [{ default: { outputs: [{ name: 'p', datatype: 'FP32', value: 0.01 }] } }] }), new TrafficMetrics(new Registry()));
  const res = await chain.recover(new ServingError('QUEUE_FULL', 'full'), req, failing);
  assert.deepEqual(res.outputs[0]!.shape, [2, 1]);
  assert.deepEqual([...(res.outputs[0]!.data as Float32Array)].map((x) => Math.round(x * 100) / 100), [0.01, 0.01]);
  assert.equal(res.parameters?.fallback_reason, 'QUEUE_FULL');
});
