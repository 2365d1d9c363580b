/**
 * When a node is unhealthy (`/healthz` 503, so its orchestrator restarts it): its error rate over the last window
 * is above a bound, or its event loop was blocked past a bound. Pure: samples in, verdict out.
 *
 * ```
 *  samples (every second): { atMs, succeeded, failed, loopDelayMaxMs }   (cumulative request counters)
 *  window = samples of the last windowMs
 *  error rate = Δfailed / (Δsucceeded + Δfailed) over the window, judged only past minRequests
 *  unhealthy  ⇐ error rate > maxErrorRate  or  max loop delay in the window > maxEventLoopDelayMs
 * ```
 */

/** One reading of the node's counters. */
export interface HealthSample {
  /** Monotonic time of the reading. */
  readonly atMs: number;
  /** Requests served here that succeeded, since start (cumulative). */
  readonly succeeded: number;
  /** Requests served or refused here that failed, since start (cumulative). */
  readonly failed: number;
  /** Longest event-loop delay seen since the previous sample. */
  readonly loopDelayMaxMs: number;
}

export interface HealthPolicy {
  /** Error-rate bound, a fraction (0.05 = 5 %). */
  readonly maxErrorRate: number;
  readonly windowMs: number;
  /** Fewer requests than this in the window: too few to judge the rate (one failure of two is not an outage). */
  readonly minRequests: number;
  /** Event-loop delay bound. */
  readonly maxEventLoopDelayMs: number;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why not, one sentence each (empty when healthy). */
  readonly reasons: readonly string[];
  /** Δfailed / requests over the window; 0 without requests. */
  readonly errorRate: number;
  readonly requests: number;
  readonly eventLoopDelayMaxMs: number;
  /** The window the numbers cover. */
  readonly windowMs: number;
}

/**
 * The verdict for `samples` (oldest first) at `nowMs`. Samples older than the window are ignored, except the
 * newest of them, which is the baseline the window's deltas start from.
 */
export function assessHealth(samples: readonly HealthSample[], nowMs: number, policy: HealthPolicy): HealthVerdict {
  const from = nowMs - policy.windowMs;
  let baseline: HealthSample | undefined;
  let latest: HealthSample | undefined;
  let loopDelayMaxMs = 0;
  for (const sample of samples) {
    if (sample.atMs < from) {
      baseline = sample;
      continue;
    }
    baseline ??= sample;
    latest = sample;
    loopDelayMaxMs = Math.max(loopDelayMaxMs, sample.loopDelayMaxMs);
  }
  const failed = latest === undefined || baseline === undefined ? 0 : latest.failed - baseline.failed;
  const succeeded = latest === undefined || baseline === undefined ? 0 : latest.succeeded - baseline.succeeded;
  const requests = failed + succeeded;
  const errorRate = requests === 0 ? 0 : failed / requests;
  const reasons: string[] = [];
  if (requests >= policy.minRequests && errorRate > policy.maxErrorRate) {
    reasons.push(
      `error rate ${percent(errorRate)} over the last ${policy.windowMs} ms (${failed} of ${requests} requests) is above ${percent(policy.maxErrorRate)}`,
    );
  }
  if (loopDelayMaxMs > policy.maxEventLoopDelayMs) {
    reasons.push(
      `event loop blocked for ${Math.round(loopDelayMaxMs)} ms within the last ${policy.windowMs} ms (bound ${policy.maxEventLoopDelayMs} ms)`,
    );
  }
  return {
    healthy: reasons.length === 0,
    reasons,
    errorRate,
    requests,
    eventLoopDelayMaxMs: loopDelayMaxMs,
    windowMs: policy.windowMs,
  };
}

/** Drops samples that can no longer matter: all but the newest one older than the window. Mutates `samples`. */
export function pruneHealthSamples(samples: HealthSample[], nowMs: number, windowMs: number): void {
  const from = nowMs - windowMs;
  let firstInWindow = samples.findIndex((sample) => sample.atMs >= from);
  if (firstInWindow === -1) firstInWindow = samples.length;
  if (firstInWindow > 1) samples.splice(0, firstInWindow - 1);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}
