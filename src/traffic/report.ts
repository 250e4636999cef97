import type { ExperimentConfig } from './config.js';
import type { KpiCounts } from './state/types.js';
import { compareMeans, compareProportions, sampleRatioMismatch } from './stats.js';

export interface ArmReport {
  name: string;
  version: string;
  weight: number;
  /** Predictions served to units assigned to this arm. */
  exposures: number;
  kpis: Record<string, { events: number; units: number; rate: number; valueSum: number; valuePerExposure: number }>;
}

export interface Comparison {
  arm: string;
  /** `<type>_rate` (share of exposures with ≥ 1 event: two-proportion z-test) or `<type>_value` (value per exposure: Welch's t-test). */
  metric: string;
  control: number | null;
  treatment: number | null;
  difference: number | null;
  relativeLift: number | null;
  /** Confidence interval of the difference at 1 − alpha; null when it is undefined (no variance). */
  ci: [number, number] | null;
  /** null when the test is undefined (for example both rates 0). */
  pValue: number | null;
  significant: boolean;
}

export interface ExperimentReport {
  experiment: string;
  model: string;
  control: string;
  alpha: number;
  arms: ArmReport[];
  comparisons: Comparison[];
  /** Sample ratio mismatch: exposures against the arms' weights (Pearson chi-square, flagged at p < 0.001). */
  srm: { observed: number[]; expected: number[]; chiSquare: number; pValue: number; mismatch: boolean };
}

/**
 * The experiment report from stored KPI counts (pure). Rates are per exposure: the share of an
 * arm's predictions that got at least one event of the type. Values are per exposure too, with
 * predictions that got none counting as 0, so revenue per exposure compares arms fairly.
 */
export function experimentReport(e: ExperimentConfig, counts: Record<string, KpiCounts>): ExperimentReport {
  const control = e.control ?? e.arms[0]!.name;
  const types = [...new Set(Object.values(counts).flatMap((c) => Object.keys(c.byType)))].sort();
  const arms: ArmReport[] = e.arms.map((a) => {
    const c = counts[a.name] ?? { predictions: 0, byType: {} };
    const kpis: ArmReport['kpis'] = {};
    for (const t of types) {
      const k = c.byType[t] ?? { events: 0, units: 0, valueSum: 0, valueSumSq: 0 };
      kpis[t] = {
        events: k.events,
        units: k.units,
        rate: c.predictions > 0 ? k.units / c.predictions : 0,
        valueSum: k.valueSum,
        valuePerExposure: c.predictions > 0 ? k.valueSum / c.predictions : 0,
      };
    }
    return { name: a.name, version: a.version, weight: a.weight, exposures: c.predictions, kpis };
  });
  const confidence = 1 - e.alpha;
  const base = counts[control] ?? { predictions: 0, byType: {} };
  const comparisons: Comparison[] = [];
  for (const a of e.arms) {
    if (a.name === control) continue;
    const arm = counts[a.name] ?? { predictions: 0, byType: {} };
    if (arm.predictions === 0 || base.predictions === 0) continue;
    for (const t of types) {
      const k0 = base.byType[t] ?? { events: 0, units: 0, valueSum: 0, valueSumSq: 0 };
      const k1 = arm.byType[t] ?? { events: 0, units: 0, valueSum: 0, valueSumSq: 0 };
      const p = compareProportions({ n: base.predictions, successes: k0.units }, { n: arm.predictions, successes: k1.units }, confidence);
      comparisons.push({
        arm: a.name, metric: `${t}_rate`, control: p.controlRate, treatment: p.treatmentRate, difference: p.difference,
        relativeLift: p.relativeLift, ci: p.ci, pValue: p.pValue, significant: p.pValue !== null && p.pValue < e.alpha,
      });
      if (k0.valueSum > 0 || k1.valueSum > 0) {
        const m = compareMeans({ n: base.predictions, sum: k0.valueSum, sumSq: k0.valueSumSq }, { n: arm.predictions, sum: k1.valueSum, sumSq: k1.valueSumSq }, confidence);
        comparisons.push({
          arm: a.name, metric: `${t}_value`, control: m.controlMean, treatment: m.treatmentMean, difference: m.difference,
          relativeLift: m.relativeLift, ci: m.ci, pValue: m.pValue, significant: m.pValue !== null && m.pValue < e.alpha,
        });
      }
    }
  }
  const observed = arms.map((a) => a.exposures);
  const srm = sampleRatioMismatch(observed, e.arms.map((a) => a.weight));
  return {
    experiment: e.name, model: e.model, control, alpha: e.alpha, arms, comparisons,
    srm: { observed, expected: srm.expected, chiSquare: srm.chiSquare, pValue: srm.pValue, mismatch: srm.mismatch },
  };
}
