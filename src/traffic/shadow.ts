import type { InferRequest, InferResponse } from '../serving/index.js';
import { copyInputs } from './copy.js';
import type { Tensor } from '../tensor/index.js';
import type { ShadowConfig } from './config.js';
import type { TrafficMetrics } from './metrics.js';

/** Largest absolute difference between same-named outputs; Infinity when they cannot be compared. */
export function maxAbsDiff(a: readonly Tensor[], b: readonly Tensor[]): number {
  let worst = 0;
  for (const x of a) {
    const y = b.find((t) => t.name === x.name);
    if (!y || y.data.length !== x.data.length || y.shape.join() !== x.shape.join()) return Infinity;
    for (let i = 0; i < x.data.length; i++) {
      const p = x.data[i]!;
      const q = y.data[i]!;
      if (typeof p === 'string' || typeof q === 'string') {
        if (p !== q) return Infinity;
        continue;
      }
      const d = Math.abs(Number(p) - Number(q));
      if (Number.isNaN(d)) {
        if (!(Number.isNaN(Number(p)) && Number.isNaN(Number(q)))) return Infinity;
      } else if (d > worst) worst = d;
    }
  }
  return worst;
}

/**
 * Mirrors a share of a model's requests to another version. The mirror starts beside the primary
 * and is never awaited by the caller: its errors and latency cannot reach the reply. When both
 * finish, their outputs are compared and the outcome counted. At most maxInflight mirrors run;
 * beyond that they are dropped (counted), so a slow shadow cannot pile up work.
 */
export class ShadowMirror {
  private inflight = 0;

  constructor(readonly config: ShadowConfig, private readonly metrics: TrafficMetrics, private readonly random: () => number = Math.random) {}

  /** Starts a mirror when this request is sampled; returns a function to call with the primary's reply. */
  maybeMirror(req: InferRequest, call: (req: InferRequest) => Promise<InferResponse>): ((primary: InferResponse | undefined) => void) | undefined {
    if (this.random() * 100 >= this.config.percent) return undefined;
    const labels = { model: this.config.model, version: this.config.version };
    if (this.inflight >= this.config.maxInflight) {
      this.metrics.shadow.inc({ ...labels, outcome: 'dropped' });
      return undefined;
    }
    this.inflight++;
    const { id: _id, ...rest } = req;
    // Its own copy of the inputs: the core may hand the primary's buffers to a worker thread.
    const mirrored = call({ ...rest, inputs: copyInputs(req.inputs), version: this.config.version }).then(
      (r) => ({ ok: true as const, r }),
      () => ({ ok: false as const }),
    ).finally(() => { this.inflight--; });
    return (primary) => {
      void mirrored.then((m) => {
        if (!m.ok) return this.metrics.shadow.inc({ ...labels, outcome: 'error' });
        if (!primary) return undefined;
        const diff = maxAbsDiff(primary.outputs, m.r.outputs);
        if (Number.isFinite(diff)) this.metrics.shadowDiff.observe(labels, diff);
        this.metrics.shadow.inc({ ...labels, outcome: diff <= this.config.tolerance ? 'match' : 'mismatch' });
        return undefined;
      });
    };
  }
}
