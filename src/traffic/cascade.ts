import type { InferRequest, InferResponse, ModelMetadata } from '../serving/index.js';
import { copyInputs } from './copy.js';
import type { Clock } from '../util/index.js';
import { acceptedRows } from './cascade-rule.js';
import type { CascadeConfig } from './config.js';
import type { Call } from './fallback.js';
import type { TrafficMetrics } from './metrics.js';

/**
 * A cascade: a virtual model whose stages run cheapest first. A request stops at the first stage
 * whose rule accepts every one of its rows; otherwise it escalates (the whole request) to the
 * next stage, and the last stage always answers. Each stage runs through the same core (and the
 * stage model's own traffic rules do not apply: a stage names its version, or the default one).
 */
export class Cascade {
  constructor(readonly config: CascadeConfig, private readonly clock: Clock, private readonly metrics: TrafficMetrics) {}

  get name(): string {
    return this.config.name;
  }

  async run(req: InferRequest, call: Call): Promise<InferResponse & { stage: number }> {
    const stages = this.config.stages;
    const { outputs: wanted, ...rest } = req;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const last = i === stages.length - 1;
      // Every stage but the last gets its own copy: the core may hand input buffers to a worker thread.
      const inputs = last ? rest.inputs : copyInputs(rest.inputs);
      const sub: InferRequest = { ...rest, inputs, model: stage.model };
      if (stage.version !== undefined) sub.version = stage.version;
      else delete sub.version;
      // The rule needs its output even when the caller asked for others; the last stage honours the ask.
      if (last && wanted) sub.outputs = wanted;
      const started = this.clock.now();
      const res = await call(sub);
      const labels = { cascade: this.name, stage: String(i) };
      this.metrics.cascadeSeconds.observe(labels, (this.clock.now() - started) / 1000);
      if (last || acceptedRows(stage.rule!, res.outputs).every(Boolean)) {
        this.metrics.cascade.inc({ ...labels, outcome: 'answered' });
        const outputs = wanted ? res.outputs.filter((t) => wanted.some((w) => w.name === t.name)) : res.outputs;
        return {
          ...res,
          outputs,
          model_name: this.name,
          stage: i,
          parameters: { ...res.parameters, cascade_stage: i, cascade_model: res.model_name, cascade_version: res.model_version },
        };
      }
      this.metrics.cascade.inc({ ...labels, outcome: 'escalated' });
    }
    throw new Error('unreachable: the last stage always answers');
  }

  /** Inputs of the first stage, outputs of the last: what a client of the cascade sends and gets. */
  metadata(meta: (model: string, version?: string) => ModelMetadata): ModelMetadata {
    const stages = this.config.stages;
    const first = meta(stages[0]!.model, stages[0]!.version);
    const last = meta(stages[stages.length - 1]!.model, stages[stages.length - 1]!.version);
    return { name: this.name, versions: ['1'], platform: 'skein_cascade', inputs: first.inputs, outputs: last.outputs };
  }
}
