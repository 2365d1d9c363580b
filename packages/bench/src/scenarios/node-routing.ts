/**
 * `node/routing`: what declared routing costs on the remote hot path. One `lucent-node` process (the real CLI,
 * 2 pool threads, as `node/remote`) serves `x + 1` under four routings; this process is the client
 * (`connectCluster`, which places each call with its membership view, load reports included):
 * - `queue`: the function's queue group, today's default for an unkeyed function (what `node/remote` measures);
 * - `hash(k)`: the ring owner of the key (today's `shardBy`), goal within 5 % of `queue` (and of `node/remote`);
 * - `roundRobin()` and `leastLoaded()`: the client chooses a shard from its view, goal ≥ 0.9× `hash`.
 * One node, so every strategy picks the same shard: the difference is the cost of deciding, not of spreading.
 * Rounds interleave the routings (load on a shared machine hits all alike): median of 5 rounds at 1000 in flight,
 * p50 of 1000 sequential calls. Bounded: ~30 s plus process start-up.
 */
import { fileURLToPath } from 'node:url';
import type { FunctionDefinition } from '@lucent/core/internal';
import { startBenchCluster } from '../bench-cluster.js';
import { type Call, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import {
  addOneHash,
  addOneLeastLoaded,
  addOneQueue,
  addOneRoundRobin,
  type RoutedInput,
} from '../fixtures/routed-add-one.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-routing';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 1000;
const SEQUENTIAL = 1_000;
const THROUGHPUT_MS = 1_000;
const REPS = 5;
/** Distinct hash keys, built once so the loop allocates no key strings. */
const KEYS = Array.from({ length: 1024 }, (_, i) => `k${i}`);

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

const VARIANTS: readonly [string, FunctionDefinition<RoutedInput, number>][] = [
  ['queue', addOneQueue],
  ['hash', addOneHash],
  ['roundRobin', addOneRoundRobin],
  ['leastLoaded', addOneLeastLoaded],
];

export const scenario: Scenario = {
  name: 'node/routing',
  suite: 'node',
  async run() {
    const bench = await startBenchCluster({
      cluster: CLUSTER,
      nodes: ['routing-1'],
      args: ['--threads', '2', '--functions', path('../fixtures/routed-add-one.js'), '--log-level', 'info'],
      clientName: 'bench-routing-client',
    });
    const { server, clusterClient: cluster } = bench;
    try {
      const client = cluster.client;
      const calls = VARIANTS.map(([, definition]): Call => {
        let x = 0;
        return () => {
          x++;
          return client.call(definition, { k: KEYS[x & 1023]!, x }, { timeoutMs: TIMEOUT_MS });
        };
      });
      for (const call of calls) await pipelined(call, IN_FLIGHT, 1_000);
      const latencies = calls.map((): number[] => []);
      const rates = calls.map((): number[] => []);
      // Interleaved rounds: on a shared machine, load that comes and goes hits every routing alike.
      for (let r = 0; r < REPS; r++) {
        for (const [i, call] of calls.entries()) {
          await sequentialLatencies(call, SEQUENTIAL / REPS, latencies[i]);
          rates[i]!.push(await pipelined(call, IN_FLIGHT, THROUGHPUT_MS));
        }
      }
      const measurements: Measurement[] = VARIANTS.flatMap(([label], i) => {
        const sorted = latencies[i]!.sort((a, b) => a - b);
        return [
          { name: `${label}, ${IN_FLIGHT} in flight`, value: median(rates[i]!), unit: 'calls/s' as const },
          { name: `${label} p50`, value: percentile(sorted, 0.5), unit: 'µs' as const, samples: sorted.length },
        ];
      });
      const ratio = (of: string, to: string, op: '>=' | '<=', value: number) => ({
        name: `${of} / ${to} at ${IN_FLIGHT} in flight`,
        of: `${of}, ${IN_FLIGHT} in flight`,
        to: `${to}, ${IN_FLIGHT} in flight`,
        goal: { op, value },
      });
      return {
        measurements,
        ratios: [
          ratio('hash', 'queue', '>=', 0.95),
          ratio('roundRobin', 'hash', '>=', 0.9),
          ratio('leastLoaded', 'hash', '>=', 0.9),
        ],
        notes: [
          `one lucent-node process (CLI, --threads 2) on nats-server ${server.url}; client = this process (connectCluster).`,
          `${REPS} interleaved rounds; per round and routing ${SEQUENTIAL / REPS} sequential calls (p50 over all) and ${THROUGHPUT_MS} ms at ${IN_FLIGHT} in flight (median).`,
          'queue = the queue group by definition (node/remote calls by name); hash keys cycle over 1024 prebuilt strings.',
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
