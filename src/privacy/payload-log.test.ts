import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../monitoring/index.js';
import { ServingError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { createPayloadLogger, MAX_PREVIEW_CHARS, MAX_PREVIEW_VALUES_LIMIT, type PayloadLogConfig } from './index.js';

function capture(level = 'info') {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const logger = createLogger({ level, destination });
  return { logger, lines: () => lines.join('').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, any>) };
}

const fp32: Tensor = { name: 'x', datatype: 'FP32', shape: [2, 6], data: Float32Array.from({ length: 12 }, (_, i) => i) };
const int64: Tensor = { name: 'y', datatype: 'INT64', shape: [1], data: BigInt64Array.from([2n ** 62n]) };
const request = { model: 'm', id: 'req-1', inputs: [fp32] };
const response = { model_version: '3', outputs: [int64] };
const on = (rest: Partial<PayloadLogConfig> = {}): PayloadLogConfig => ({ enabled: true, sampleRate: 1, ...rest });

describe('payload logging', () => {
  test('writes one payload line with model, version, request id and bounded tensor previews', () => {
    const { logger, lines } = capture();
    createPayloadLogger({ logger, options: on({ maxPreviewValues: 8 }) }).maybeLog(request, response);
    const [line, ...rest] = lines();
    assert.equal(rest.length, 0);
    assert.equal(line?.msg, 'payload');
    assert.equal(line?.model, 'm');
    assert.equal(line?.version, '3');
    assert.equal(line?.requestId, 'req-1');
    assert.deepEqual(line?.inputs, [{ name: 'x', datatype: 'FP32', shape: [2, 6], count: 12, preview: [0, 1, 2, 3, 4, 5, 6, 7] }]);
    assert.deepEqual(line?.outputs, [{ name: 'y', datatype: 'INT64', shape: [1], count: 1, preview: [String(2n ** 62n)] }]);
  });

  test('never logs when disabled, at rate 0, or when the logger level is above info', () => {
    for (const [options, level] of [[{ enabled: false, sampleRate: 1 }, 'info'], [on({ sampleRate: 0 }), 'info'], [on(), 'warn']] as const) {
      const { logger, lines } = capture(level);
      createPayloadLogger({ logger, options }).maybeLog(request, response);
      assert.deepEqual(lines(), []);
    }
  });

  test('samples per model with the injected rng', () => {
    const { logger, lines } = capture();
    const payload = createPayloadLogger({ logger, options: on({ sampleRate: 0, modelSampleRates: { hot: 0.5 } }), rng: () => 0.49 });
    payload.maybeLog(request, response);
    payload.maybeLog({ ...request, model: 'hot' }, response);
    assert.deepEqual(lines().map((l) => l.model), ['hot']);
  });

  test('redacts BYTES values before cutting them, so no half of a secret survives', () => {
    const { logger, lines } = capture();
    const email = 'ann.smith@example.org';
    const long = `${'a'.repeat(MAX_PREVIEW_CHARS - 5)} ${email}`;
    const bytes: Tensor = { name: 'q', datatype: 'BYTES', shape: [2], data: [`mail ${email}`, long] };
    createPayloadLogger({ logger, options: on() }).maybeLog({ model: 'm', id: `id ${email}`, inputs: [bytes] }, response);
    const text = JSON.stringify(lines());
    assert.ok(!text.includes('ann.smith'), text);
    assert.ok(!text.includes('example.org'), text);
    const preview = lines()[0]?.inputs[0].preview as string[];
    assert.match(preview[0] as string, /^mail \[REDACTED len=21 sha256=[0-9a-f]{8}\]$/);
    assert.equal((preview[1] as string).length, MAX_PREVIEW_CHARS + 1);
  });

  test('maxPreviewValues is accepted from 0 to the limit and INVALID_CONFIG one past either bound', () => {
    const { logger, lines } = capture();
    createPayloadLogger({ logger, options: on({ maxPreviewValues: 0 }) }).maybeLog(request, response);
    assert.deepEqual(lines()[0]?.inputs[0].preview, []);
    assert.doesNotThrow(() => createPayloadLogger({ logger, options: on({ maxPreviewValues: MAX_PREVIEW_VALUES_LIMIT }) }));
    for (const bad of [-1, MAX_PREVIEW_VALUES_LIMIT + 1, 1.5]) {
      assert.throws(() => createPayloadLogger({ logger, options: on({ maxPreviewValues: bad }) }),
        (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG');
    }
    assert.throws(() => createPayloadLogger({ logger, options: on({ sampleRate: 1.01 }) }),
      (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG');
  });

  test('a tensor that cannot be previewed drops the line, never the request', () => {
    const { logger, lines } = capture();
    const broken = { name: 'x', datatype: 'FP32', shape: [1], get data(): never { throw new Error('boom'); } } as unknown as Tensor;
    assert.doesNotThrow(() => createPayloadLogger({ logger, options: on() }).maybeLog({ model: 'm', inputs: [broken] }, response));
    assert.deepEqual(lines().map((l) => l.msg), ['payload log line dropped']);
  });
});
