export { runTests, resolveEndpoint, DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS } from './run.js';
export type { RunOptions, Protocol } from './run.js';
export { loadSuite, parseSuite, defaultSuite, DEFAULT_LOAD, SUITE_LIMITS } from './suite.js';
export type { Suite, SuiteFile, GoldenExample, ExpectedOutput, ComparedOutput, LoadConfig, LoadThresholds } from './suite.js';
export { runOpenLoop } from './load.js';
export type { OpenLoopOptions, SendOutcome } from './load.js';
export { chiSquareTest, chiSquareSurvival, ksTwoSample, psi } from './stats.js';
export type { ChiSquareResult, KsResult } from './stats.js';
export { renderTerminal } from './report/terminal.js';
export { renderJunit } from './report/junit.js';
export { renderHtml } from './report/html.js';
export { SUITE_NAMES } from './types.js';
export type {
  Report, SuiteResult, CaseResult, SuiteName, Status, LoadSummary, LoadSample, LoadProgress, DistributionComparison,
} from './types.js';
