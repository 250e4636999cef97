/** Adam over flat Float64Array parameters, with L2 decay added to the gradient. */
export interface AdamOptions {
  learningRate: number;
  l2: number;
  beta1?: number;
  beta2?: number;
}

export interface Adam {
  /** Applies one step from `grads` (same shapes as params), scaled by 1 / batchRows. */
  step(grads: readonly Float64Array[], batchRows: number): void;
}

export function createAdam(params: readonly Float64Array[], options: AdamOptions): Adam {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  let t = 0;
  return {
    step(grads, batchRows) {
      t++;
      const correction1 = 1 - beta1 ** t;
      const correction2 = 1 - beta2 ** t;
      for (let k = 0; k < params.length; k++) {
        const p = params[k]!;
        const g = grads[k]!;
        const mk = m[k]!;
        const vk = v[k]!;
        for (let i = 0; i < p.length; i++) {
          const grad = g[i]! / batchRows + options.l2 * p[i]!;
          mk[i] = beta1 * mk[i]! + (1 - beta1) * grad;
          vk[i] = beta2 * vk[i]! + (1 - beta2) * grad * grad;
          p[i]! -= (options.learningRate * (mk[i]! / correction1)) / (Math.sqrt(vk[i]! / correction2) + 1e-8);
        }
      }
    },
  };
}
