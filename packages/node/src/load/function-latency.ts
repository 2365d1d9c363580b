/**
 * Per-function run times on this node, for degradation (core's `nextDegradation`): the router's `completed` hook
 * records each served call's duration; once per load interval the reporter takes every function's median and
 * updates its baseline, and the functions whose median ran past 1.5× their baseline are reported degraded.
 *
 * Bounded: at most {@link MAX_SAMPLES} durations per function per interval (later ones replace random earlier
 * ones, a reservoir), and only functions this node serves are tracked.
 */
import {
  type DegradationPolicy,
  type DegradationState,
  EnvelopeKind,
  INITIAL_DEGRADATION_STATE,
  nextDegradation,
} from '@lucent/core/internal';
import type { RouterObserver } from '../router/router-observer.js';

/** Durations kept per function per interval. */
export const MAX_SAMPLES = 512;

const NONE: readonly string[] = Object.freeze([]);

/** See the module doc. One per node. */
export class FunctionLatencies {
  readonly #samples = new Map<string, { durations: number[]; seen: number }>();
  readonly #states = new Map<string, DegradationState>();
  readonly #policy: DegradationPolicy | undefined;
  #degraded: readonly string[] = NONE;

  constructor(policy?: DegradationPolicy) {
    this.#policy = policy;
  }

  /** Records one served call of function `ref` (`name` or `name@version`) that ran `durationMs`. */
  record(ref: string, durationMs: number): void {
    const at = ref.indexOf('@');
    const name = at < 0 ? ref : ref.slice(0, at);
    let entry = this.#samples.get(name);
    if (entry === undefined) {
      entry = { durations: [], seen: 0 };
      this.#samples.set(name, entry);
    }
    entry.seen++;
    if (entry.durations.length < MAX_SAMPLES) entry.durations.push(durationMs);
    else {
      const slot = Math.floor(Math.random() * entry.seen);
      if (slot < MAX_SAMPLES) entry.durations[slot] = durationMs;
    }
  }

  /** Ends an interval: updates every function's baseline; returns the functions degraded now, by name. */
  endInterval(): readonly string[] {
    const degraded: string[] = [];
    for (const [name, entry] of this.#samples) {
      const sorted = entry.durations.sort((a, b) => a - b);
      const p50 = sorted.length === 0 ? Number.NaN : sorted[(sorted.length - 1) >> 1]!;
      const state = nextDegradation(this.#states.get(name) ?? INITIAL_DEGRADATION_STATE, p50, entry.seen, this.#policy);
      this.#states.set(name, state);
      if (state.degraded) degraded.push(name);
      entry.durations.length = 0;
      entry.seen = 0;
    }
    this.#degraded = degraded.length === 0 ? NONE : Object.freeze(degraded.sort());
    return this.#degraded;
  }

  /** The functions degraded as of the last interval. */
  get degraded(): readonly string[] {
    return this.#degraded;
  }

  /** The baseline of `name` (ms), NaN while unknown. */
  baselineMs(name: string): number {
    return this.#states.get(name)?.baselineMs ?? Number.NaN;
  }
}

/**
 * `observer` with a `completed` hook that also records successful calls into `latencies` (the node's metrics
 * observer keeps doing what it did). Failed calls are not run times.
 */
export function withFunctionLatencies(observer: RouterObserver, latencies: FunctionLatencies): RouterObserver {
  const completed = observer.completed?.bind(observer);
  return {
    forwarded: observer.forwarded?.bind(observer),
    dropped: observer.dropped?.bind(observer),
    decodeFailed: observer.decodeFailed?.bind(observer),
    eventReceived: observer.eventReceived?.bind(observer),
    retried: observer.retried?.bind(observer),
    completed(kind, target, durationMs, code, correlationId, traceId) {
      if (kind === EnvelopeKind.Call && code === '') latencies.record(target, durationMs);
      completed?.(kind, target, durationMs, code, correlationId, traceId);
    },
  } as RouterObserver;
}
