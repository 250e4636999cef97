/**
 * Statistics for the experiment report: pure functions over counts, no I/O, no dependency.
 *
 * Distributions are computed from two special functions, each to about 1e-15 relative error:
 *   the regularized incomplete gamma P(a, x) = γ(a, x)/Γ(a) and Q(a, x) = 1 − P(a, x), and
 *   the regularized incomplete beta I_x(a, b) = B(x; a, b)/B(a, b),
 * evaluated by their power series or by continued fractions (modified Lentz), as in Numerical
 * Recipes (3rd ed., §6.2 and §6.4), with ln Γ from the Lanczos approximation (g = 7, n = 9).
 *
 * Inputs that no caller can mean (a negative count, successes > n, confidence outside (0, 1)) are
 * programmer errors and throw RangeError. Results that are undefined for the data (a rate of an
 * arm with no exposures, a variance from one observation) are null, never NaN.
 */

/** Iteration bound of the series and continued fractions; they converge long before it. */
const MAX_ITERATIONS = 100_000;
const EPS = 4 * Number.EPSILON;
/** Guards the continued fractions against division by zero (Lentz's "tiny"). */
const FPMIN = Number.MIN_VALUE / Number.EPSILON;
/** Expansions of a bracket by doubling: 2^1100 is past the largest double. */
const MAX_BRACKET_DOUBLINGS = 1100;
/** Bisection steps; 200 halvings shrink any finite bracket below one ulp. */
const MAX_BISECTIONS = 200;
/**
 * Past this many degrees of freedom Student's t is taken as normal. The two differ by about
 * φ(t)(t³ + t)/(4·df), under 1e-10 at df = 1e10 for |t| ≤ 5, while the beta continued fraction
 * at x = df/(df + t²) ≈ 1 loses digits in proportion to df (relative error ~1e-9 at df = 1e9).
 */
const STUDENT_T_NORMAL_DF = 1e10;

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0, Lanczos: Γ(x) = √(2π) · t^(x − ½) · e^(−t) · A(x), with
 * t = x + g − ½ and A(x) = c₀ + Σ_{k=1..8} c_k / (x − 1 + k).
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError('lnGamma needs x > 0');
  const t = x + LANCZOS_G - 0.5;
  return LN_SQRT_2PI + (x - 0.5) * Math.log(t) - t + Math.log(lanczosSum(x));
}

function lanczosSum(x: number): number {
  let sum = LANCZOS[0] as number;
  for (let k = 1; k < LANCZOS.length; k++) sum += (LANCZOS[k] as number) / (x - 1 + k);
  return sum;
}

/**
 * ln Γ(a + b) − ln Γ(a) without subtracting two large logarithms (at a = 10⁸ each is ~1.7e9 and
 * their difference would keep only 7 digits). From the Lanczos form, with t = a + g − ½:
 *   (a − ½) · ln(1 + b/t) + b · ln(t + b) − b + ln(A(a + b) / A(a)).
 */
function lnGammaRatio(a: number, b: number): number {
  const t = a + LANCZOS_G - 0.5;
  return (a - 0.5) * Math.log1p(b / t) + b * Math.log(t + b) - b + Math.log(lanczosSum(a + b) / lanczosSum(a));
}

/** Series P(a, x) = e^(−x) x^a / Γ(a) · Σ_{n≥0} x^n / (a (a+1) … (a+n)); used for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }
  throw new Error(`incomplete gamma series did not converge (a=${a}, x=${x})`);
}

/**
 * Continued fraction Q(a, x) = e^(−x) x^a / Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …)));
 * used for x ≥ a + 1.
 */
function gammaFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
  }
  throw new Error(`incomplete gamma fraction did not converge (a=${a}, x=${x})`);
}

/** Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma, for a > 0, x ≥ 0. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError('gammaQ needs a > 0 and x ≥ 0');
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaFraction(a, x);
}

/**
 * Continued fraction of I_x(a, b) (NR betacf): I_x(a, b) = x^a (1−x)^b / (a B(a, b)) · 1/(1+ d₁/(1+ d₂/(1+ …))),
 * d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b−m) x / ((a+2m−1)(a+2m)).
 */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * I_x(a, b), the regularized incomplete beta, for 0 < x < 1 given as x, y = 1 − x and their
 * logarithms, so a caller that knows them exactly (x = ν/(ν + t²) with ν large) loses nothing to
 * cancellation. The fraction converges fast for x < (a+1)/(a+b+2); past that,
 * I_x(a, b) = 1 − I_y(b, a). Front factor: x^a y^b / B(a, b), B(a, b) = Γ(a) Γ(b) / Γ(a + b).
 */
function betaRegularized(a: number, b: number, x: number, y: number, lnX: number, lnY: number): number {
  const front = Math.exp(lnGammaRatio(a, b) - lnGamma(b) + a * lnX + b * lnY);
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, y)) / b;
}

/** Φ(z), the standard normal CDF: Φ(z) = ½ Q(½, z²/2) for z ≤ 0 (erfc(|z|/√2)/2), 1 − Φ(−z) above. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalCdf needs a number');
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z <= 0 ? tail : 1 - tail;
}

const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const ACKLAM_P_LOW = 0.02425;

function poly(coefficients: readonly number[], x: number): number {
  let acc = 0;
  for (const c of coefficients) acc = acc * x + c;
  return acc;
}

/**
 * Φ⁻¹(p), the standard normal quantile. Acklam's rational approximation (relative error
 * < 1.15e-9) on the lower half q = min(p, 1 − p), then one Halley step on Φ(x) − q, with
 * e = Φ(x) − q, u = e √(2π) e^(x²/2), x ← x − u / (1 + x u / 2), which brings it to about 1e-15;
 * the upper half by symmetry Φ⁻¹(p) = −Φ⁻¹(1 − p).
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError('normalQuantile needs 0 ≤ p ≤ 1');
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = Math.min(p, 1 - p);
  let x: number;
  if (q < ACKLAM_P_LOW) {
    const r = Math.sqrt(-2 * Math.log(q));
    x = poly(ACKLAM_C, r) / (poly(ACKLAM_D, r) * r + 1);
  } else {
    const r = q - 0.5;
    const s = r * r;
    x = (poly(ACKLAM_A, s) * r) / (poly(ACKLAM_B, s) * s + 1);
  }
  const e = normalCdf(x) - q;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  x -= u / (1 + (x * u) / 2);
  return p > 0.5 ? -x : x;
}

/**
 * P(T > t) for t ≥ 0 under Student's t with ν = df degrees of freedom: ½ I_x(ν/2, ½) with
 * x = ν/(ν + t²), y = t²/(ν + t²), ln x = −ln(1 + t²/ν).
 */
function studentTUpperTail(t: number, df: number): number {
  if (t === 0) return 0.5;
  if (t === Infinity) return 0;
  if (df > STUDENT_T_NORMAL_DF) return 0.5 * gammaQ(0.5, (t * t) / 2);
  const t2 = t * t;
  const lnX = -Math.log1p(t2 / df);
  return 0.5 * betaRegularized(df / 2, 0.5, df / (df + t2), t2 / (df + t2), lnX, Math.log(t2) - Math.log(df + t2));
}

/**
 * F(t) of Student's t with df > 0 degrees of freedom (df may be fractional, or Infinity = normal).
 * Relative error of the tails about 1e-12 up to df = 1e5, 3e-10 at 1e7, 6e-9 at 1e9.
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) throw new RangeError('studentTCdf needs a number t and df > 0');
  const tail = studentTUpperTail(Math.abs(t), df);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * F⁻¹(p) of Student's t: bisection on the upper tail, which decreases in t, after doubling a
 * bracket [0, hi] until it holds the answer. Bisection is slower than Newton but cannot diverge,
 * and a report computes a handful of these.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !(df > 0)) throw new RangeError('studentTQuantile needs 0 ≤ p ≤ 1 and df > 0');
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const q = Math.min(p, 1 - p);
  let lo = 0;
  let hi = 1;
  for (let i = 0; studentTUpperTail(hi, df) > q; i++) {
    if (i >= MAX_BRACKET_DOUBLINGS) return p > 0.5 ? Infinity : -Infinity;
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < MAX_BISECTIONS; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (studentTUpperTail(mid, df) > q) lo = mid;
    else hi = mid;
  }
  const x = lo + (hi - lo) / 2;
  return p > 0.5 ? x : -x;
}

/** P(X > x) for X ~ χ²(df): Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) throw new RangeError('chiSquareSurvival needs a number x and df > 0');
  return x <= 0 ? 1 : gammaQ(df / 2, x / 2);
}

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
