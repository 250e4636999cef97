import { ConsecutiveBreaker, circuitBreaker, handleWhen, isBrokenCircuitError, CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import { copyInputs } from './copy.js';
import { ServingError, isServingError, type ErrorCode } from '../errors/index.js';
import type { InferRequest, InferResponse } from '../serving/index.js';
import type { Tensor, TensorData } from '../tensor/index.js';
import type { FallbackConfig, FallbackStep } from './config.js';
import type { TrafficMetrics } from './metrics.js';

export type Call = (req: InferRequest) => Promise<InferResponse>;

/** Errors that say the version itself failed (they open breakers); input errors never do. */
const SERVER_FAULTS: ReadonlySet<ErrorCode> = new Set(['INFERENCE_FAILED', 'INTERNAL', 'DEADLINE_EXCEEDED', 'QUEUE_FULL', 'MODEL_NOT_READY']);

function codeOf(err: unknown): ErrorCode {
  if (isBrokenCircuitError(err)) return 'CIRCUIT_OPEN';
  return isServingError(err) ? err.code : 'INTERNAL';
}

function fill(datatype: string, n: number, value: number | string | boolean): TensorData {
  switch (datatype) {
    case 'FP32': return new Float32Array(n).fill(Number(value));
    case 'FP64': return new Float64Array(n).fill(Number(value));
    case 'INT32': return new Int32Array(n).fill(Number(value));
    case 'INT64': return new BigInt64Array(n).fill(BigInt(Math.trunc(Number(value))));
    case 'BOOL': return new Uint8Array(n).fill(value ? 1 : 0);
    default: return new Array<string>(n).fill(String(value));
  }
}

/** The configured default answer, one value per row of the request. */
export function defaultResponse(req: InferRequest, model: string, step: Extract<FallbackStep, { default: unknown }>): InferResponse {
  const rows = req.inputs[0]?.shape[0] ?? 1;
  const outputs: Tensor[] = step.default.outputs.map((o) => {
    const shape = [rows, ...o.shape];
    const n = shape.reduce((a, b) => a * b, 1);
    return { name: o.name, datatype: o.datatype, shape, data: fill(o.datatype, n, o.value) };
  });
  return { model_name: model, model_version: 'default', ...(req.id !== undefined ? { id: req.id } : {}), outputs };
}

/**
 * A model's fallback chain: when its version fails with a trigger code (unavailable, past its
 * deadline, its breaker open), the next step answers: another version, another model, or a
 * configured default output. Each version has its own circuit breaker (cockatiel): after
 * consecutiveFailures server faults in a row it opens, and calls fail fast with CIRCUIT_OPEN
 * (and go to the chain) until one trial call after halfOpenAfterMs succeeds.
 */
export class FallbackChain {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly triggers: ReadonlySet<ErrorCode>;

  constructor(readonly config: FallbackConfig, private readonly metrics: TrafficMetrics) {
    this.triggers = new Set(config.on);
  }

  private breaker(model: string, version: string): CircuitBreakerPolicy {
    const key = `${model}\u0000${version}`;
    let b = this.breakers.get(key);
    if (!b) {
      b = circuitBreaker(handleWhen((err) => isServingError(err) && SERVER_FAULTS.has(err.code)), {
        halfOpenAfter: this.config.circuitBreaker.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.config.circuitBreaker.consecutiveFailures),
      });
      b.onStateChange((s) => this.metrics.breakerOpen.set({ model, version }, s === CircuitState.Open ? 1 : 0));
      this.breakers.set(key, b);
      if (this.breakers.size > 256) this.breakers.delete(this.breakers.keys().next().value!);
    }
    return b;
  }

  /** Runs `call` for `version` of the model through its breaker. */
  guarded(version: string, call: () => Promise<InferResponse>): Promise<InferResponse> {
    return this.breaker(this.config.model, version).execute(call);
  }

  /**
   * Answers through the chain after `err` (the primary's failure). Throws the primary's error
   * when it is not a trigger, or when every step failed.
   */
  async recover(err: unknown, req: InferRequest, call: Call): Promise<InferResponse> {
    const reason = codeOf(err);
    if (!this.triggers.has(reason)) throw err;
    for (const [i, step] of this.config.chain.entries()) {
      try {
        let res: InferResponse;
        if ('default' in step) res = defaultResponse(req, this.config.model, step);
        else {
          const model = 'model' in step ? step.model : this.config.model;
          // A copy per step: an earlier step may have handed the inputs' buffers to a worker thread.
          const sub: InferRequest = { ...req, inputs: copyInputs(req.inputs), model };
          if (step.version !== undefined) sub.version = step.version;
          else delete sub.version;
          res = await this.breaker(model, step.version ?? 'default').execute(() => call(sub));
        }
        this.metrics.fallbacks.inc({ model: this.config.model, reason, step: String(i) });
        return { ...res, parameters: { ...res.parameters, fallback: true, fallback_reason: reason, fallback_step: i } };
      } catch (stepErr) {
        if (!this.triggers.has(codeOf(stepErr))) throw stepErr;
      }
    }
    if (isBrokenCircuitError(err)) throw new ServingError('CIRCUIT_OPEN', `model '${this.config.model}' failed repeatedly and its circuit breaker is open; every fallback failed too`);
    throw err;
  }

  /** Converts cockatiel's error into ours for callers without a chain step left. */
  static asServingError(err: unknown, model: string): unknown {
    if (isBrokenCircuitError(err)) return new ServingError('CIRCUIT_OPEN', `model '${model}' failed repeatedly and its circuit breaker is open; retry later`);
    return err;
  }
}
