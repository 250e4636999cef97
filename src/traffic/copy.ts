import type { Tensor } from '../tensor/index.js';

/**
 * A copy of request tensors. The core hands input buffers to worker threads as transferables
 * (no copy), which detaches them in this thread; a request that may run more than once (canary
 * then stable, primary then fallback, a mirror, cascade stages) gives each run its own copy.
 */
export function copyInputs(inputs: readonly Tensor[]): Tensor[] {
  return inputs.map((t) => ({ ...t, shape: [...t.shape], data: t.data.slice() as typeof t.data }));
}
