/**
 * Special functions and distributions shared by the experiment report (traffic), the model-API
 * statistical tests (testkit) and skew/drift statistics (monitoring): pure, no dependency.
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
/** P(T ≥ t) for t ≥ 0 (the upper tail, exact in the far tail where 1 − F(t) would cancel). */
export function studentTUpperTail(t: number, df: number): number {
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

/**
 * Two-sample Kolmogorov–Smirnov test. Both samples must be sorted ascending. D is the largest
 * gap between the empirical CDFs (ties step together); the p-value is Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D)
 * with nₑ = n·m/(n + m). Empty samples give {d: 0, pValue: 1}.
 */
export function ksTwoSampleSorted(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): KsTwoSample {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) return { d: 0, pValue: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(sortedA[i]!, sortedB[j]!);
    while (i < n && sortedA[i]! <= v) i++;
    while (j < m && sortedB[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const sqrtNe = Math.sqrt((n * m) / (n + m));
  return { d, pValue: kolmogorovSurvival((sqrtNe + 0.12 + 0.11 / sqrtNe) * d) };
}

/** Q_KS(λ) = 2 Σ_{j≥1} (−1)^(j−1) exp(−2 j² λ²), the Kolmogorov distribution's upper tail. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 200; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsTwoSample {
  /** Largest gap between the two empirical CDFs. */
  d: number;
  /** Asymptotic two-sided p-value. */
  pValue: number;
}
