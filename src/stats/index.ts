export {
  lnGamma, gammaQ, normalCdf, normalQuantile, studentTCdf, studentTQuantile, studentTUpperTail, chiSquareSurvival,
  kolmogorovSurvival, ksTwoSampleSorted,
} from './special.js';
export type { KsTwoSample } from './special.js';
