/**
 * `node/pool`: `x => x + 1` through the Lucent function pool against raw piscina with the same threads, in
 * one run: calls/s at 10 000 and at 1 call in flight, and p50 latency at 1 in flight.
 *
 * The loops are closed: `inFlight` async loops each await one call and issue the next until the time is up.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createFunctionPool } from '@lucent/node/internal';
import { Piscina } from 'piscina';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const SLICES = 6;
const THREADS = Math.min(2, availableParallelism());
const FIXTURE = new URL('../fixtures/add-one.js', import.meta.url);

type Call = (x: number) => Promise<unknown>;

/** Calls per second with `inFlight` closed loops for `durationMs`; also the per-call latencies when asked. */
async function drive(call: Call, inFlight: number, durationMs: number, latencies?: number[]): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = latencies === undefined ? 0 : performance.now();
      await call(done);
      if (latencies !== undefined) latencies.push(performance.now() - t0);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return done / ((performance.now() - start) / 1000);
}

/**
 * Alternates the systems in `SLICES` short slices each (order rotated every slice) so they see the same machine
 * state even when other work comes and goes; keeps each system's median slice rate and p50 over all its calls.
 */
async function measureAll<K extends string>(
  systems: Readonly<Record<K, Call>>,
  inFlight: number,
  sliceMs: number,
  withLatency: boolean,
): Promise<Record<K, { rate: number; p50Us: number }>> {
  const keys = Object.keys(systems) as K[];
  const rates = new Map<K, number[]>(keys.map((k) => [k, []]));
  const latencies = new Map<K, number[]>(keys.map((k) => [k, []]));
  for (let slice = 0; slice < SLICES; slice++) {
    for (let j = 0; j < keys.length; j++) {
      const key = keys[(slice + j) % keys.length]!;
      const rate = await drive(systems[key], inFlight, sliceMs, withLatency ? latencies.get(key) : undefined);
      rates.get(key)!.push(rate);
    }
  }
  const out = {} as Record<K, { rate: number; p50Us: number }>;
  for (const key of keys) {
    const lat = latencies.get(key)!;
    out[key] = { rate: median(rates.get(key)!), p50Us: lat.length === 0 ? 0 : median(lat) * 1000 };
  }
  return out;
}

export const scenario: Scenario = {
  name: 'node/pool',
  suite: 'node',
  async run(options) {
    const sliceMs = Math.min(1000, Math.max(150, options.timeMs));
    const raw = new Piscina({ filename: FIXTURE.href, minThreads: THREADS, maxThreads: THREADS });
    const pool = await createFunctionPool({ modules: [FIXTURE], threads: THREADS });
    const rawCall: Call = (x) => raw.run(x);
    const lucentCall: Call = (x) => pool.call('addOne', x);
    const noTimeoutCall: Call = (x) => pool.call('addOneNoTimeout', x);
    try {
      // Warm both (worker start-up, JIT) before measuring.
      await drive(rawCall, 100, 200);
      await drive(lucentCall, 100, 200);
      await drive(noTimeoutCall, 1, 100);
      const deep = await measureAll({ lucent: lucentCall, raw: rawCall }, 10_000, sliceMs, false);
      const single = await measureAll({ lucent: lucentCall, raw: rawCall, noTimeout: noTimeoutCall }, 1, sliceMs, true);
      const stats = pool.stats();
      const measurements: Measurement[] = [
        { name: 'lucent pool, 10k in flight', value: deep.lucent.rate, unit: 'calls/s' },
        { name: 'piscina, 10k in flight', value: deep.raw.rate, unit: 'calls/s' },
        { name: 'lucent pool, 1 in flight', value: single.lucent.rate, unit: 'calls/s' },
        { name: 'piscina, 1 in flight', value: single.raw.rate, unit: 'calls/s' },
        { name: 'lucent pool, p50 at 1 in flight', value: single.lucent.p50Us, unit: 'µs' },
        { name: 'piscina, p50 at 1 in flight', value: single.raw.p50Us, unit: 'µs' },
        { name: 'lucent pool, p50 at 1 in flight, no timeout', value: single.noTimeout.p50Us, unit: 'µs' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'throughput at 10k in flight vs piscina',
            of: 'lucent pool, 10k in flight',
            to: 'piscina, 10k in flight',
            goal: { op: '>=', value: 10 },
          },
          {
            name: 'throughput at 1 in flight vs piscina',
            of: 'lucent pool, 1 in flight',
            to: 'piscina, 1 in flight',
            goal: { op: '>=', value: 1 },
          },
          {
            name: 'p50 latency at 1 in flight vs piscina',
            of: 'lucent pool, p50 at 1 in flight',
            to: 'piscina, p50 at 1 in flight',
            goal: { op: '<=', value: 1.15 },
          },
        ],
        notes: [
          `${THREADS} threads each; closed loops in ${SLICES} alternating slices of ${sliceMs} ms per system, ` +
            'median slice rate, p50 over all slices. Lucent: default options (batches ≤ 128 calls and ≤ 1 ms estimated, ' +
            '2 tasks in flight per thread); `addOne` has a 30 s timeout (core default), so every call has a deadline; ' +
            `'no timeout' is the same function without one. ` +
            `Over the run: ${stats.calls} calls in ${stats.batches} batches ` +
            `(${(stats.calls / Math.max(1, stats.batches)).toFixed(1)} calls per batch).`,
        ],
      };
    } finally {
      await pool.close();
      await raw.destroy();
    }
  },
};
