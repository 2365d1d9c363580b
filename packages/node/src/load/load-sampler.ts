/**
 * Measures this node's load once per interval: the inputs of core's `nodeLoadScore`, read from counters that
 * only grow (event-loop time, process CPU time, answers), so each sample is the difference from the last one.
 *
 * ```
 *  probes (cumulative ELU, CPU µs, answers; instant pool, RSS, actors) ─► sample(nowMs) ─► NodeLoadReport
 *                                                                                       └► local.score (router)
 * ```
 * The probes are injected: `systemLoadProbes` reads the process, tests pass numbers and a simulated clock.
 */
import { type LoadMeasurements, type NodeLoadReport, nodeLoadScore } from '@lucent/core/internal';
import type { LocalLoad } from '../router/overload-gate.js';

/** Event-loop times as `performance.eventLoopUtilization()` returns them (cumulative ms). */
export interface EventLoopTimes {
  readonly idle: number;
  readonly active: number;
}

/** What {@link LoadProbes.pool} reads. */
export interface PoolProbe {
  readonly threads: number;
  readonly running: number;
  readonly queued: number;
  readonly finished: number;
}

/** Where a sample's numbers come from. Cumulative probes only grow; instant probes are read as they are. */
export interface LoadProbes {
  /** Cumulative event-loop idle and active ms of the main thread. */
  eventLoop(): EventLoopTimes;
  /** Cumulative process CPU time (user + system, every thread) in µs. */
  cpuMicros(): number;
  /** Cores the process may use. */
  readonly cores: number;
  /**
   * The pool now: threads, piscina tasks running, calls queued, and tasks finished so far (cumulative: done,
   * failed or lost); `undefined` without a pool.
   */
  pool(): PoolProbe | undefined;
  rssBytes(): number;
  readonly rssLimitBytes: number;
  activeActors(): number;
  /** Cumulative calls and asks answered, and how many of them were errors. */
  answers(): { readonly succeeded: number; readonly failed: number };
  /** Functions degraded on this node as of this interval (`function-latency.ts`); read once per sample. */
  degraded(): readonly string[];
}

/** Takes samples; see the module doc. One per node. */
export class LoadSampler {
  readonly nodeId: string;
  readonly #probes: LoadProbes;
  readonly #local: LocalLoad;
  #lastAt = Number.NaN;
  #lastLoop: EventLoopTimes;
  #lastCpu: number;
  #lastSucceeded: number;
  #lastFailed: number;
  #lastFinished: number;
  /** Monotonic ms since which the pool has held tasks and finished none; NaN while it makes progress. */
  #stalledSince = Number.NaN;
  #latest: NodeLoadReport | undefined = undefined;

  /** `local` is the router's holder: every sample writes its score there. */
  constructor(nodeId: string, probes: LoadProbes, local: LocalLoad) {
    this.nodeId = nodeId;
    this.#probes = probes;
    this.#local = local;
    this.#lastLoop = probes.eventLoop();
    this.#lastCpu = probes.cpuMicros();
    const answers = probes.answers();
    this.#lastSucceeded = answers.succeeded;
    this.#lastFailed = answers.failed;
    this.#lastFinished = probes.pool()?.finished ?? 0;
  }

  /** The last sample, or `undefined` before the first. */
  get latest(): NodeLoadReport | undefined {
    return this.#latest;
  }

  /**
   * Measures the interval since the previous sample (or since construction, first measured at `monotonicMs` =
   * its start) and returns the report stamped `wallMs`. Writes the score to the router's holder.
   */
  sample(monotonicMs: number, wallMs: number, startedAtMs: number): NodeLoadReport {
    const p = this.#probes;
    const intervalStart = Number.isNaN(this.#lastAt) ? startedAtMs : this.#lastAt;
    const elapsedMs = Math.max(1, monotonicMs - intervalStart);
    this.#lastAt = monotonicMs;
    const loop = p.eventLoop();
    const idle = loop.idle - this.#lastLoop.idle;
    const active = loop.active - this.#lastLoop.active;
    this.#lastLoop = loop;
    const cpuMicros = p.cpuMicros();
    const cpu = (cpuMicros - this.#lastCpu) / 1000 / elapsedMs / Math.max(1, p.cores);
    this.#lastCpu = cpuMicros;
    const answers = p.answers();
    const succeeded = answers.succeeded - this.#lastSucceeded;
    const failed = answers.failed - this.#lastFailed;
    this.#lastSucceeded = answers.succeeded;
    this.#lastFailed = answers.failed;
    const pool = p.pool();
    const measurements: LoadMeasurements = {
      eventLoopUtilization: idle + active > 0 ? active / (idle + active) : 0,
      cpu: Math.max(0, cpu),
      poolUtilization: pool === undefined || pool.threads === 0 ? 0 : Math.min(1, pool.running / pool.threads),
      poolQueueDepth: pool?.queued ?? 0,
      poolThreads: pool?.threads ?? 0,
      rssBytes: p.rssBytes(),
      rssLimitBytes: p.rssLimitBytes,
      activeActors: p.activeActors(),
      callsPerSecond: ((succeeded + failed) * 1000) / elapsedMs,
      errorRate: succeeded + failed > 0 ? failed / (succeeded + failed) : 0,
    };
    const report: NodeLoadReport = {
      node: this.nodeId,
      at: wallMs,
      ...measurements,
      score: nodeLoadScore(measurements, this.#poolStalledMs(pool, intervalStart, monotonicMs)),
      degraded: p.degraded(),
    };
    this.#latest = report;
    this.#local.score = report.score;
    return report;
  }

  /**
   * How long the pool has held tasks without having finished any yet (its workers are starting), counted from the
   * start of the first such interval (an overestimate, so the start grace of `nodeLoadScore` ends early rather
   * than late); 0 once it finished one. A pool busy with long tasks between two finishes is not starting: its
   * threads count as busy.
   */
  #poolStalledMs(pool: PoolProbe | undefined, intervalStart: number, now: number): number {
    const finished = pool?.finished ?? 0;
    const progressed = finished !== this.#lastFinished;
    this.#lastFinished = finished;
    if (pool === undefined || pool.running === 0 || progressed || finished > 0) {
      this.#stalledSince = Number.NaN;
      return 0;
    }
    if (Number.isNaN(this.#stalledSince)) this.#stalledSince = intervalStart;
    return Math.max(1, now - this.#stalledSince);
  }
}
