import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServingMetrics } from './metrics.js';

/** The value of one series in the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServingMetrics version series', () => {
  it('reports counter and gauge updates at every read, and only the new part once', async () => {
    const metrics = new ServingMetrics({ processMetrics: false });
    const m = metrics.forVersion('purchase', '2');
    m.success.inc();
    m.success.inc();
    m.requestUs.inc(1500.5);
    m.inflight.inc();
    m.inflight.inc();
    m.inflight.dec();
    m.pending.set(7);
    m.ok.inc();
    let text = await metrics.render();
    assert.equal(sample(text, 'nv_inference_request_success{model="purchase",version="2"}'), 2);
    assert.equal(sample(text, 'nv_inference_request_duration_us{model="purchase",version="2"}'), 1500.5);
    assert.equal(sample(text, 'skein_inflight_requests{model="purchase",version="2"}'), 1);
    assert.equal(sample(text, 'nv_inference_pending_request_count{model="purchase",version="2"}'), 7);
    assert.equal(sample(text, 'skein_requests_total{model="purchase",version="2",code="OK"}'), 1);

    m.success.inc();
    m.inflight.dec();
    m.pending.set(0);
    text = await metrics.render();
    // A second read adds only what changed since the first: 3, not 2 + 3.
    assert.equal(sample(text, 'nv_inference_request_success{model="purchase",version="2"}'), 3);
    assert.equal(sample(text, 'skein_inflight_requests{model="purchase",version="2"}'), 0);
    assert.equal(sample(text, 'nv_inference_pending_request_count{model="purchase",version="2"}'), 0);
  });

  it('keeps the series of two versions apart', async () => {
    const metrics = new ServingMetrics({ processMetrics: false });
    const a = metrics.forVersion('purchase', '1');
    const b = metrics.forVersion('purchase', '2');
    a.execCount.inc();
    b.execCount.inc();
    b.execCount.inc();
    const text = await metrics.render();
    assert.equal(sample(text, 'nv_inference_exec_count{model="purchase",version="1"}'), 1);
    assert.equal(sample(text, 'nv_inference_exec_count{model="purchase",version="2"}'), 2);
  });

  it('drops a forgotten version, and updates that arrive after forget do not bring it back', async () => {
    const metrics = new ServingMetrics({ processMetrics: false });
    const m = metrics.forVersion('purchase', '1');
    m.success.inc();
    m.inflight.inc();
    m.failed('INVALID_DATA', 'OTHER');
    assert.equal(sample(await metrics.render(), 'nv_inference_request_success{model="purchase",version="1"}'), 1);
    m.forget();
    // A request still draining when the version is unloaded may finish after forget().
    m.success.inc();
    m.inflight.dec();
    const text = await metrics.render();
    assert.doesNotMatch(text, /version="1"/);
  });

  it('counts an update made between two reads exactly once when reads overlap', async () => {
    const metrics = new ServingMetrics({ processMetrics: false });
    const m = metrics.forVersion('purchase', '1');
    m.inferenceCount.inc(5);
    const [first, second] = await Promise.all([metrics.render(), metrics.render()]);
    assert.equal(sample(first, 'nv_inference_count{model="purchase",version="1"}'), 5);
    assert.equal(sample(second, 'nv_inference_count{model="purchase",version="1"}'), 5);
  });
});
