/**
 * Drivers for hand-measured request/response benches (NATS, the shard node): a call loop one at a time for
 * latencies, and N closed loops for throughput. Lucent and its raw baseline go through the same driver.
 */
import { performance } from 'node:perf_hooks';

/** One request; resolves when its answer is back. */
export type Call = () => Promise<unknown>;

/** The `p` quantile (0..1) of an ascending list; 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `count` calls one after another and appends each one's latency in µs to `into` (returned, unsorted). */
export async function sequentialLatencies(call: Call, count: number, into: number[] = []): Promise<number[]> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await call();
    into.push((performance.now() - t0) * 1000);
  }
  return into;
}

/** Calls/s with `inFlight` calls outstanding at all times (closed loops), for about `durationMs`. */
export async function pipelined(call: Call, inFlight: number, durationMs: number): Promise<number> {
  let done = 0;
  let stop = false;
  const timer = setTimeout(() => {
    stop = true;
  }, durationMs);
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (!stop) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  clearTimeout(timer);
  return done / ((performance.now() - started) / 1000);
}
