/**
 * Drivers for hand-measured request/response benches (NATS, the shard node): a call loop one at a time for
 * latencies, and N closed loops for throughput in steady state. Lucent and its raw baseline (or its peer) go
 * through the same driver.
 */
import { performance } from 'node:perf_hooks';
import { ownCpuUs, processCpuUs } from './process-cpu.js';

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

/** Default {@link pipelined} ramp: long enough for a pipeline to reach its rhythm, short beside the window. */
const RAMP_MS = 200;

/**
 * Calls/s in steady state with `inFlight` calls outstanding at all times (closed loops). The loops start, the
 * first `rampMs` are not counted, then the calls that complete within the next `durationMs` are, and the calls
 * still out at the end are awaited but not counted. Counting from the start would bill the ramp (all `inFlight`
 * calls leave in one tick, and a system takes a while to reach its rhythm: in node/peers both Lucent's and
 * Moleculer's first 250 ms ran at 10-65 % of their steady rate) and the drain to the window, the more so the
 * shorter it is. Rejects with the first error a call throws.
 */
export async function pipelined(
  call: Call,
  inFlight: number,
  durationMs: number,
  rampMs = Math.min(RAMP_MS, durationMs),
): Promise<number> {
  let done = 0;
  let stop = false;
  const lane = async (): Promise<void> => {
    while (!stop) {
      await call();
      done++;
    }
  };
  const lanes = Promise.all(Array.from({ length: inFlight }, lane));
  // Awaited at the end (rethrowing a call's error); this only keeps an early rejection from counting as unhandled.
  lanes.catch(() => {});
  await sleep(rampMs);
  const doneBefore = done;
  const started = performance.now();
  await sleep(durationMs);
  const counted = done - doneBefore;
  const elapsedMs = performance.now() - started;
  stop = true;
  await lanes;
  return counted / (elapsedMs / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What {@link measuredSlice} measured: steady calls/s, and CPU µs per call of this process and of each pid. */
export interface MeasuredSlice {
  readonly rate: number;
  /** This process (the client). */
  readonly ownCpuUs: number;
  /** Per pid, in order; `undefined` where `/proc` could not tell. */
  readonly cpuUs: readonly (number | undefined)[];
}

/**
 * {@link pipelined}, and the CPU time (user + system, `process-cpu.ts`) this process and the processes `pids`
 * spent per call over it, ramp and drain included with their calls: on a shared machine calls/s follow the
 * neighbours' load, CPU per call much less.
 */
export async function measuredSlice(
  call: Call,
  inFlight: number,
  durationMs: number,
  pids: readonly number[],
): Promise<MeasuredSlice> {
  let calls = 0;
  const counted: Call = async () => {
    await call();
    calls++;
  };
  const before = pids.map(processCpuUs);
  const ownBefore = ownCpuUs();
  const rate = await pipelined(counted, inFlight, durationMs);
  const ownCpu = ownCpuUs() - ownBefore;
  const cpuUs = pids.map((pid, i) => {
    const from = before[i];
    const to = processCpuUs(pid);
    return from === undefined || to === undefined ? undefined : (to - from) / calls;
  });
  return { rate, ownCpuUs: ownCpu / calls, cpuUs };
}
