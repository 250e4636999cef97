/** Evaluation metrics for the yarnit models, computed on the held-out split. */

const EPSILON = 1e-7;

/** Mean binary cross-entropy; probabilities are clipped to [1e-7, 1 - 1e-7]. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[i]!));
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

/** Area under the ROC curve by the rank-sum formula; tied scores share their mean rank. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSum += meanRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Share of rows where the probability is on the same side of 0.5 as the label. */
export function binaryAccuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if ((probabilities[i]! >= 0.5 ? 1 : 0) === labels[i]) right++;
  return right / labels.length;
}

export function accuracy(predicted: readonly number[], actual: readonly number[]): number {
  let right = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) right++;
  return right / actual.length;
}

/** Unweighted mean of per-class F1; a class never predicted nor present counts as 0. */
export function macroF1(predicted: readonly number[], actual: readonly number[], classes: number): number {
  let total = 0;
  for (let c = 0; c < classes; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < actual.length; i++) {
      if (predicted[i] === c && actual[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (actual[i] === c) fn++;
    }
    total += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return total / classes;
}
