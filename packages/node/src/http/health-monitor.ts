/**
 * Samples the node's request counters and event-loop delay once a second for the liveness verdict of
 * `health-policy.ts`. Off the hot path: it reads counters the router keeps anyway, and Node's own event-loop
 * delay histogram (`perf_hooks.monitorEventLoopDelay`, sampled in C++), so requests pay nothing for it.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '@lucent/core/internal';
import {
  assessHealth,
  type HealthPolicy,
  type HealthSample,
  type HealthVerdict,
  pruneHealthSamples,
} from './health-policy.js';

/** Cumulative request outcomes, e.g. the router's stats. */
export interface RequestCounters {
  readonly succeeded: number;
  readonly failed: number;
}

export const HEALTH_SAMPLE_INTERVAL_MS = 1_000;

export class HealthMonitor {
  readonly #clock: Clock;
  readonly #policy: HealthPolicy;
  readonly #counters: () => RequestCounters | undefined;
  readonly #samples: HealthSample[] = [];
  readonly #loopDelay: IntervalHistogram;
  #timer: TimerHandle | undefined = undefined;
  #stopped = false;

  /** `counters` is read at each sample; `undefined` (not started yet) counts as no requests. */
  constructor(options: { clock: Clock; policy: HealthPolicy; counters: () => RequestCounters | undefined }) {
    this.#clock = options.clock;
    this.#policy = options.policy;
    this.#counters = options.counters;
    this.#loopDelay = monitorEventLoopDelay({ resolution: 20 });
  }

  start(): void {
    this.#loopDelay.enable();
    this.sample();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#loopDelay.disable();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
  }

  /** Takes one reading now (the timer does this every second). */
  sample(): void {
    const now = this.#clock.now();
    const counters = this.#counters() ?? { succeeded: 0, failed: 0 };
    // The histogram is in nanoseconds; 0 samples reads as a huge min and a 0 max.
    const loopDelayMaxMs = this.#loopDelay.max / 1e6;
    this.#loopDelay.reset();
    this.#samples.push({ atMs: now, succeeded: counters.succeeded, failed: counters.failed, loopDelayMaxMs });
    pruneHealthSamples(this.#samples, now, this.#policy.windowMs);
  }

  /** The verdict over the last window, including a reading taken now. */
  verdict(): HealthVerdict {
    this.sample();
    return assessHealth(this.#samples, this.#clock.now(), this.#policy);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.sample();
      this.#schedule();
    }, HEALTH_SAMPLE_INTERVAL_MS);
  }
}
