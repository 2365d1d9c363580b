/**
 * `node/fanout`: scatter and gather across three `lucent-node` processes (the real CLI, 1 pool thread each) on
 * one nats-server; this process is the client (`connectCluster`). Measured against the same work as plain calls
 * in the same run:
 * 1. gather of 10 000 keyed inputs (one batch per shard) vs the same 10 000 calls one by one, all in flight at
 *    once (goal ≥ 3× inputs/s);
 * 2. scatter to the 3 shards (sequential, p50) vs 3 plain calls in parallel.
 */
import { fileURLToPath } from 'node:url';
import { defineFunction } from '@lucent/core/internal';
import { startBenchCluster } from '../bench-cluster.js';
import { percentile, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-fanout';
const NODES = ['fan-1', 'fan-2', 'fan-3'] as const;
const INPUTS = 10_000;
const REPS = 5;
const SCATTERS = 300;
const TIMEOUT_MS = 60_000;

// The client's copies of the fixture's definitions (name and shardBy are what routing reads).
const squareKeyed = defineFunction(
  { name: 'squareKeyed', shardBy: 'key' },
  (_ctx, input: { key: string; n: number }) => input.n * input.n,
);
const shardInfo = defineFunction({ name: 'shardInfo' }, (_ctx, _input: null): string => '');

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** Inputs per second of `run` over `count` inputs: the median of `REPS` timed runs after one warm-up. */
async function rate(count: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const started = performance.now();
    await run();
    rates.push(count / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

export const scenario: Scenario = {
  name: 'node/fanout',
  suite: 'node',
  async run() {
    const bench = await startBenchCluster({
      cluster: CLUSTER,
      nodes: NODES,
      args: ['--threads', '1', '--functions', path('../fixtures/fanout-functions.js')],
      clientName: 'bench-fanout',
    });
    try {
      const client = bench.client;
      const inputs = Array.from({ length: INPUTS }, (_, i) => ({ key: `k${i}`, n: i }));

      // One by one first, so no gather has run on the function's lane when its batch estimates are learned.
      const oneByOneRate = await rate(INPUTS, async () => {
        const values = await Promise.all(
          inputs.map((input) => client.call(squareKeyed, input, { timeoutMs: TIMEOUT_MS })),
        );
        if (values[INPUTS - 1] !== (INPUTS - 1) ** 2) throw new Error('node/fanout: wrong call result');
      });

      const gatherRate = await rate(INPUTS, async () => {
        const values = await client.gather(squareKeyed, inputs, { timeoutMs: TIMEOUT_MS });
        if (values[INPUTS - 1] !== (INPUTS - 1) ** 2) throw new Error('node/fanout: wrong gather result');
      });
      const scatter = () => client.scatter(shardInfo, null, { timeoutMs: TIMEOUT_MS });
      const threeCalls = () => Promise.all(NODES.map(() => client.call(shardInfo, null, { timeoutMs: TIMEOUT_MS })));
      await sequentialLatencies(scatter, 100);
      const scatterLat = (await sequentialLatencies(scatter, SCATTERS)).sort((a, b) => a - b);
      await sequentialLatencies(threeCalls, 100);
      const callsLat = (await sequentialLatencies(threeCalls, SCATTERS)).sort((a, b) => a - b);
      const { results } = await scatter();
      if (results.length !== NODES.length) throw new Error(`node/fanout: scatter reached ${results.length} shards`);

      const measurements: Measurement[] = [
        { name: `gather of ${INPUTS} keyed inputs`, value: gatherRate, unit: 'calls/s', samples: REPS },
        {
          name: `the same ${INPUTS} calls one by one, all in flight`,
          value: oneByOneRate,
          unit: 'calls/s',
          samples: REPS,
        },
        { name: 'scatter to 3 shards p50', value: percentile(scatterLat, 0.5), unit: 'µs', samples: SCATTERS },
        { name: '3 parallel calls p50', value: percentile(callsLat, 0.5), unit: 'µs', samples: SCATTERS },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'gather / the same calls one by one (inputs per second)',
            of: `gather of ${INPUTS} keyed inputs`,
            to: `the same ${INPUTS} calls one by one, all in flight`,
            goal: { op: '>=', value: 3 },
          },
          { name: 'scatter p50 / 3 parallel calls p50', of: 'scatter to 3 shards p50', to: '3 parallel calls p50' },
        ],
        notes: [
          `3 lucent-node processes (CLI, --threads 1 each) on nats-server ${bench.server.url}; client = this process.`,
          `gather: ${INPUTS} inputs of a keyed function, one batch per shard; median of ${REPS} runs after a warm-up.`,
          'one by one: the same inputs as client.call, all issued at once (the client coalesces them on the wire).',
          `scatter: one input to every shard (a batch of one each), ${SCATTERS} sequential after 100 warm-up.`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
