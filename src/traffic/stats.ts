/**
 * Statistics for the experiment report: pure functions over counts, no I/O. The distributions
 * come from src/stats (special functions shared with testkit and monitoring).
 *
 * Inputs that no caller can mean (a negative count, successes > n, confidence outside (0, 1)) are
 * programmer errors and throw RangeError. Results that are undefined for the data (a rate of an
 * arm with no exposures, a variance from one observation) are null, never NaN.
 */
import { gammaQ, normalQuantile, studentTQuantile, studentTUpperTail, chiSquareSurvival } from '../stats/index.js';

// ---------------------------------------------------------------------------------------------
// Comparisons of a treatment arm with the control arm

export interface ProportionCounts {
  /** Exposures (predictions served to the arm). */
  n: number;
  /** Exposures with at least one event of the type (KpiCounts units). */
  successes: number;
}

export interface ProportionComparison {
  /** p = successes / n; null when n = 0. */
  controlRate: number | null;
  treatmentRate: number | null;
  /** p_t − p_c; null when either arm has no exposures. */
  difference: number | null;
  /** (p_t − p_c) / p_c; null when p_c is 0 or undefined. */
  relativeLift: number | null;
  /** Confidence interval of the difference (unpooled standard error); null with an empty arm. */
  ci: [number, number] | null;
  /** Pooled z statistic; null with an empty arm or when both rates are 0 (or both 1): no variance. */
  z: number | null;
  /** Two-sided p-value of z; null when z is. */
  pValue: number | null;
}

/**
 * Two-proportion z-test of treatment against control.
 *   p_c = s_c / n_c,  p_t = s_t / n_t,  d = p_t − p_c
 *   test (pooled, under H₀: p_t = p_c):  p̂ = (s_c + s_t) / (n_c + n_t),
 *     SE₀ = √(p̂ (1 − p̂) (1/n_c + 1/n_t)),  z = d / SE₀,  p-value = 2 (1 − Φ(|z|)) = Q(½, z²/2)
 *   interval (unpooled):  SE = √(p_c (1 − p_c)/n_c + p_t (1 − p_t)/n_t),
 *     d ± Φ⁻¹(1 − (1 − confidence)/2) · SE
 */
export function compareProportions(control: ProportionCounts, treatment: ProportionCounts, confidence = 0.95): ProportionComparison {
  checkProportion('control', control);
  checkProportion('treatment', treatment);
  checkConfidence(confidence);
  const pc = control.n > 0 ? control.successes / control.n : null;
  const pt = treatment.n > 0 ? treatment.successes / treatment.n : null;
  if (pc === null || pt === null) {
    return { controlRate: pc, treatmentRate: pt, difference: null, relativeLift: null, ci: null, z: null, pValue: null };
  }
  const difference = pt - pc;
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const z = sePooled > 0 ? difference / sePooled : null;
  const se = Math.sqrt((pc * (1 - pc)) / control.n + (pt * (1 - pt)) / treatment.n);
  const half = normalQuantile(1 - (1 - confidence) / 2) * se;
  return {
    controlRate: pc,
    treatmentRate: pt,
    difference,
    relativeLift: pc > 0 ? difference / pc : null,
    ci: [difference - half, difference + half],
    z,
    pValue: z === null ? null : gammaQ(0.5, (z * z) / 2),
  };
}

export interface MeanCounts {
  /** Exposures. */
  n: number;
  /** Σ x over exposures (an exposure without the event counts 0). */
  sum: number;
  /** Σ x² over exposures. */
  sumSq: number;
}

export interface MeanComparison {
  /** x̄ = sum / n; null when n = 0. */
  controlMean: number | null;
  treatmentMean: number | null;
  /** x̄_t − x̄_c; null when either arm has no exposures. */
  difference: number | null;
  /** (x̄_t − x̄_c) / x̄_c; null when x̄_c is 0 or undefined. */
  relativeLift: number | null;
  /** ci, t, df and pValue are null when an arm has fewer than 2 exposures or neither arm varies. */
  ci: [number, number] | null;
  t: number | null;
  /** Welch–Satterthwaite degrees of freedom (fractional). */
  df: number | null;
  pValue: number | null;
}

/**
 * Welch's t-test of the per-exposure means (unequal variances).
 *   x̄ = sum / n,  s² = (sumSq − sum²/n) / (n − 1)  (clamped at 0 against rounding),  v = s²/n
 *   d = x̄_t − x̄_c,  SE = √(v_c + v_t),  t = d / SE
 *   df = (v_c + v_t)² / (v_c²/(n_c − 1) + v_t²/(n_t − 1))
 *   p-value = 2 (1 − F_df(|t|)),  interval d ± F_df⁻¹(1 − (1 − confidence)/2) · SE
 * sumSq − sum²/n cancels badly when the variance is tiny next to the mean²; per-exposure values
 * (amounts of money) are far from that.
 */
export function compareMeans(control: MeanCounts, treatment: MeanCounts, confidence = 0.95): MeanComparison {
  checkMean('control', control);
  checkMean('treatment', treatment);
  checkConfidence(confidence);
  const mc = control.n > 0 ? control.sum / control.n : null;
  const mt = treatment.n > 0 ? treatment.sum / treatment.n : null;
  const difference = mc === null || mt === null ? null : mt - mc;
  const undefinedTest = { ci: null, t: null, df: null, pValue: null };
  const head = { controlMean: mc, treatmentMean: mt, difference, relativeLift: mc && difference !== null ? difference / mc : null };
  if (difference === null || control.n < 2 || treatment.n < 2) return { ...head, ...undefinedTest };
  const vc = sampleVariance(control) / control.n;
  const vt = sampleVariance(treatment) / treatment.n;
  const se = Math.sqrt(vc + vt);
  if (!(se > 0)) return { ...head, ...undefinedTest };
  const t = difference / se;
  const df = (vc + vt) ** 2 / (vc ** 2 / (control.n - 1) + vt ** 2 / (treatment.n - 1));
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
  return { ...head, ci: [difference - half, difference + half], t, df, pValue: 2 * studentTUpperTail(Math.abs(t), df) };
}

function sampleVariance(c: MeanCounts): number {
  return Math.max(0, (c.sumSq - (c.sum * c.sum) / c.n) / (c.n - 1));
}

export interface SampleRatioCheck {
  /** Expected exposures per arm: N · w_i / Σw. */
  expected: number[];
  /** Pearson χ² = Σ (o_i − e_i)² / e_i over arms with e_i > 0; Infinity when an arm of weight 0 got exposures. */
  chiSquare: number;
  /** Arms with weight > 0, minus 1. */
  df: number;
  /** P(χ²(df) ≥ chiSquare); 1 when there is nothing to test (no exposures, or df = 0 and χ² = 0). */
  pValue: number;
  /** pValue < alpha: the split is not the configured one, and the experiment's results are suspect. */
  mismatch: boolean;
}

/**
 * Sample ratio mismatch: Pearson's χ² goodness-of-fit of the observed exposures per arm against
 * the split the weights ask for. The usual alpha is strict (0.001) because a true mismatch comes
 * from a bug (assignment, logging, redirects), and a report checks it on every refresh.
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], alpha = 0.001): SampleRatioCheck {
  if (observed.length !== weights.length || observed.length < 2) throw new RangeError('sampleRatioMismatch needs one weight per arm and at least 2 arms');
  if (!observed.every((o) => Number.isFinite(o) && o >= 0)) throw new RangeError('observed counts must be finite and ≥ 0');
  if (!weights.every((w) => Number.isFinite(w) && w >= 0)) throw new RangeError('weights must be finite and ≥ 0');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError('alpha must be in (0, 1)');
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  if (!(totalWeight > 0)) throw new RangeError('at least one weight must be > 0');
  const total = observed.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (total * w) / totalWeight);
  let chiSquare = 0;
  observed.forEach((o, i) => {
    const e = expected[i] as number;
    if (e > 0) chiSquare += (o - e) ** 2 / e;
    else if (o > 0) chiSquare = Infinity;
  });
  const df = weights.filter((w) => w > 0).length - 1;
  const pValue = chiSquare === 0 ? 1 : chiSquare === Infinity || df === 0 ? 0 : chiSquareSurvival(chiSquare, df);
  return { expected, chiSquare, df, pValue, mismatch: pValue < alpha };
}

function checkProportion(arm: string, c: ProportionCounts): void {
  if (!Number.isSafeInteger(c.n) || c.n < 0 || !Number.isSafeInteger(c.successes) || c.successes < 0 || c.successes > c.n) {
    throw new RangeError(`${arm}: n and successes must be whole numbers with 0 ≤ successes ≤ n`);
  }
}

function checkMean(arm: string, c: MeanCounts): void {
  if (!Number.isSafeInteger(c.n) || c.n < 0 || !Number.isFinite(c.sum) || !Number.isFinite(c.sumSq) || c.sumSq < 0) {
    throw new RangeError(`${arm}: n must be a whole number ≥ 0, sum finite and sumSq finite and ≥ 0`);
  }
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be in (0, 1)');
}
