/** @lucent/bench is run, not imported: see `pnpm bench`. */
export type { Measurement, Ratio, Scenario, ScenarioResult, Target } from './scenario.js';
