/**
 * What a benchmark scenario is. One scenario per file under `scenarios/`; each measures Lucent and the raw
 * library it builds on in the same run, and states the ratios between them (with the goal, if any).
 */

/** Which `pnpm bench <suite>` runs the scenario. */
export type Suite = 'core' | 'actors' | 'node';

/** One measured number. Higher is better for rates, lower for times and sizes. */
export interface Measurement {
  readonly name: string;
  readonly value: number;
  readonly unit: 'ops/s' | 'calls/s' | 'msgs/s' | 'ns' | 'µs' | 'bytes';
  /** Relative margin of error in percent, when the measurement has one. */
  readonly rme?: number;
  readonly samples?: number;
}

/**
 * `value = of / to`, compared with `goal` when the issue sets one; or, when `rounds` is given, the median of
 * those per-round ratios of `of` to `to` (alternating rounds: load that comes and goes on a shared machine hits
 * both sides of each round alike, so the median of ratios is steadier than the ratio of medians).
 */
export interface Ratio {
  readonly name: string;
  readonly of: string;
  readonly to: string;
  readonly rounds?: readonly number[];
  readonly goal?: { readonly op: '>=' | '<='; readonly value: number };
}

/** An absolute goal on one measurement (e.g. "≤ 150 ns at 128 nodes"). */
export interface Target {
  readonly name: string;
  readonly measurement: string;
  readonly op: '>=' | '<=';
  readonly value: number;
}

export interface ScenarioResult {
  readonly measurements: readonly Measurement[];
  readonly ratios?: readonly Ratio[];
  readonly targets?: readonly Target[];
  /** Free text printed under the tables: configuration, caveats. */
  readonly notes?: readonly string[];
}

export interface Scenario {
  /** `suite/name`, e.g. `core/codec`. */
  readonly name: string;
  readonly suite: Suite;
  run(options: RunOptions): Promise<ScenarioResult>;
}

export interface RunOptions {
  /** Milliseconds tinybench spends on each task; `BENCH_TIME_MS` overrides it. */
  readonly timeMs: number;
}
