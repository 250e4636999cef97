import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ManualClock } from '../../util/index.js';
import { createPredictionStore, type LookupStore } from '../store/index.js';
import { createLookupService } from './service.js';
import type { LookupService } from './types.js';

const T0 = Date.UTC(2025, 0, 1);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

async function publishRun(store: LookupStore, runId: string, n: number, p: number): Promise<void> {
  await store.beginRun({ set: 'purchase', runId, model: 'purchase', version: runId === 'r1' ? '3' : '4', defaultValue: { p: [0.01] } });
  const rows = Array.from({ length: n }, (_, i) => ({ key: `u${i}`, value: { p: [p] } }));
  await store.writeChunk('purchase', runId, 0, rows, 0);
  await store.completeRun('purchase', runId);
  await store.setGateResult('purchase', runId, true, {});
  await store.publish('purchase', runId);
}

/** Lets the promise a fired timer started settle (no wall-clock waiting). */
async function settle(until: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await until()); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('lookup service', () => {
  let dir: string;
  let store: LookupStore;
  let wallMs = T0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-lookup-'));
    store = await createPredictionStore(join(dir, 'p.db'), { nowMs: () => wallMs });
    await publishRun(store, 'r1', 5, 0.4);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const service = (over: Partial<Parameters<typeof createLookupService>[0]> = {}): { svc: LookupService; clock: ManualClock; registry: Registry } => {
    const clock = new ManualClock();
    const registry = new Registry();
    const svc = createLookupService({ store, clock, registry, wallClockMs: () => wallMs, maxKeysPerRequest: 3, ...over });
    return { svc, clock, registry };
  };

  test('store mode answers precomputed keys and the set default for others, naming model, version and run', async () => {
    const { svc } = service();
    await svc.start();
    const result = await svc.lookup('purchase', ['u1', 'nobody']);
    assert.deepEqual(result, {
      set: 'purchase', model_name: 'purchase', model_version: '3', run_id: 'r1',
      results: [{ key: 'u1', value: { p: [0.4] }, default: false }, { key: 'nobody', value: { p: [0.01] }, default: true }],
    });
  });

  test('metrics count hits and defaults and report the served run’s age', async () => {
    const { svc, registry } = service();
    await svc.lookup('purchase', ['u1', 'u2', 'x']);
    wallMs += 90_000;
    const text = await registry.metrics();
    assert.match(text, /skein_prediction_lookups_total\{set="purchase",result="hit"\} 2/);
    assert.match(text, /skein_prediction_lookups_total\{set="purchase",result="default"\} 1/);
    assert.match(text, /skein_prediction_lookup_duration_seconds_count\{set="purchase"\} 1/);
    const age = Number(/skein_prediction_set_age_seconds\{set="purchase"\} ([0-9.]+)/.exec(text)?.[1]);
    assert.ok(age >= 90, `age ${age}`);
  });

  test('maxKeysPerRequest keys pass and one more is INVALID_REQUEST', async () => {
    const { svc } = service();
    assert.equal((await svc.lookup('purchase', ['a', 'b', 'c'])).results.length, 3);
    assert.equal(await codeOf(svc.lookup('purchase', ['a', 'b', 'c', 'd'])), 'INVALID_REQUEST');
  });

  test('bad keys, bad set names and unknown sets get their codes', async () => {
    const { svc } = service();
    assert.equal(await codeOf(svc.lookup('purchase', [42])), 'INVALID_REQUEST');
    assert.equal(await codeOf(svc.lookup('purchase', ['a\u0007'])), 'INVALID_REQUEST');
    assert.equal(await codeOf(svc.lookup('../etc', ['a'])), 'INVALID_MODEL_NAME');
    assert.equal(await codeOf(svc.lookup('nothing-published', ['a'])), 'SET_NOT_FOUND');
  });

  test('memory mode serves the loaded run until the refresh interval passes, then the new publish', async () => {
    const { svc, clock } = service({ mode: 'memory', refreshIntervalMs: 10_000 });
    await svc.start();
    assert.equal((await svc.lookup('purchase', ['u1'])).run_id, 'r1');
    await publishRun(store, 'r2', 5, 0.8);
    clock.advance(9_999);
    assert.equal((await svc.lookup('purchase', ['u1'])).run_id, 'r1');
    clock.advance(1);
    await settle(async () => (await svc.lookup('purchase', ['u1'])).run_id === 'r2');
    const result = await svc.lookup('purchase', ['u1', 'zz']);
    assert.deepEqual([result.run_id, result.model_version, result.results[0]?.value, result.results[1]?.default], ['r2', '4', { p: [0.8] }, true]);
    svc.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  test('memory mode loads exactly maxMemoryRows rows and refuses one more with INVALID_CONFIG', async () => {
    assert.equal(await codeOf(service({ mode: 'memory', maxMemoryRows: 5 }).svc.start()), undefined);
    assert.equal(await codeOf(service({ mode: 'memory', maxMemoryRows: 4 }).svc.start()), 'INVALID_CONFIG');
  });

  test('a flat file is served from memory with its header’s model, version and default', async () => {
    const file = join(dir, 'scores.jsonl');
    await writeFile(file, [
      JSON.stringify({ set: 'scores', model: 'ranker', version: '7', default: { p: [0.01] }, published_at: new Date(T0).toISOString() }),
      JSON.stringify({ key: 'a', value: { p: [0.9] } }),
      '',
      JSON.stringify({ key: 'b', value: { p: [0.2] } }),
    ].join('\n'));
    const { svc } = service({ store: undefined, files: [file] });
    await svc.start();
    assert.equal(svc.mode, 'memory');
    const result = await svc.lookup('scores', ['b', 'c']);
    assert.deepEqual([result.model_name, result.model_version, result.run_id], ['ranker', '7', 'file']);
    assert.deepEqual(result.results.map((r) => [r.value.p?.[0], r.default]), [[0.2, false], [0.01, true]]);
    assert.equal(await codeOf(service({ store: undefined, files: [file], maxMemoryRows: 1 }).svc.start()), 'INVALID_CONFIG');
  });

  test('a malformed or missing flat file is INVALID_CONFIG, and a failed refresh keeps the loaded set', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, `${JSON.stringify({ set: 's', model: 'm', version: '1', default: { p: [0] } })}\n{"key": "a", "value": 3}\n`);
    assert.equal(await codeOf(service({ store: undefined, files: [file] }).svc.start()), 'INVALID_CONFIG');
    assert.equal(await codeOf(service({ store: undefined, files: [join(dir, 'absent.jsonl')] }).svc.start()), 'INVALID_CONFIG');

    const good = join(dir, 'good.jsonl');
    await writeFile(good, `${JSON.stringify({ set: 's', model: 'm', version: '1', default: { p: [0] } })}\n{"key": "a", "value": {"p": [1]}}\n`);
    // Resolved by the first refresh error, however long reading the file takes on a busy machine.
    let reported: (e: unknown) => void = () => undefined;
    const firstError = new Promise<unknown>((resolve) => {
      reported = resolve;
    });
    const { svc, clock } = service({ store: undefined, files: [good], refreshIntervalMs: 1000, onRefreshError: (e) => reported(e) });
    await svc.start();
    await writeFile(good, 'not json\n');
    clock.advance(1000);
    assert.equal(((await firstError) as { code?: string }).code, 'INVALID_CONFIG');
    assert.equal((await svc.lookup('s', ['a'])).results[0]?.default, false);
    svc.close();
  });

  test('store mode merges the lookups of one turn into one store read, and maxMergedKeys 0 turns that off', async () => {
    let reads = 0;
    // The same store, counting its published-value reads.
    const counting = new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (prop !== 'lookupPublished') return value.bind(target);
        return (...args: unknown[]) => {
          reads++;
          return value.apply(target, args);
        };
      },
    });
    for (const [maxMergedKeys, expected] of [[undefined, 1], [0, 2]] as const) {
      reads = 0;
      const { svc } = service({ store: counting, ...(maxMergedKeys === undefined ? {} : { maxMergedKeys }) });
      const [a, b] = await Promise.all([svc.lookup('purchase', ['u1']), svc.lookup('purchase', ['u2', 'nobody'])]);
      assert.deepEqual(a.results.map((r) => r.default), [false]);
      assert.deepEqual(b.results.map((r) => r.default), [false, true]);
      assert.equal(reads, expected, `maxMergedKeys ${String(maxMergedKeys)}`);
      svc.close();
    }
  });

  test('maxMergedKeys must be 0 or a positive integer', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => createLookupService({ store, clock: new ManualClock(), registry: new Registry(), maxMergedKeys: bad }), { code: 'INVALID_CONFIG' }, String(bad));
    }
    for (const good of [0, 1, 4096]) createLookupService({ store, clock: new ManualClock(), registry: new Registry(), maxMergedKeys: good }).close();
  });

  test('a service without a store or files is INVALID_CONFIG', () => {
    assert.throws(() => createLookupService({ clock: new ManualClock(), registry: new Registry() }), { code: 'INVALID_CONFIG' });
  });
});
