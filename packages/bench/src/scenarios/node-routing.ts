/**
 * `node/routing`: what declared routing costs on the remote hot path. One `lucent-node` process (the real CLI,
 * 2 pool threads, as `node/remote`) serves `x + 1` under four routings; this process is the client
 * (`connectCluster`, which places each call with its membership view, load reports included):
 * - `queue`: the function's queue group, today's default for an unkeyed function (what `node/remote` measures);
 * - `hash(k)`: the ring owner of the key (today's `shardBy`), goal within 5 % of `queue` (and of `node/remote`);
 * - `roundRobin()` and `leastLoaded()`: the client chooses a shard from its view, goal ≥ 0.9× `hash`.
 * One node, so every strategy picks the same shard: the difference is the cost of deciding, not of spreading.
 * Rounds interleave the routings (load on a shared machine hits all alike), each round in the order of a
 * balanced Latin square (`round-order.ts`: every routing runs right after every other one equally often, 6 times
 * in 24 rounds); every ratio is the median of the per-round ratios, printed with its range. Median of 24 rounds
 * of 300 ms at 1000 in flight (steady state, after a ramp), p50 of 1200 sequential calls; and per routing the CPU
 * time per call of the client, the node and nats-server (on a shared machine steadier than calls/s). Bounded:
 * ~55 s plus start-up.
 */
import { fileURLToPath } from 'node:url';
import { type FunctionDefinition, OverloadedError } from '@lucent/core/internal';
import { startBenchCluster } from '../bench-cluster.js';
import { type Call, measuredSlice, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import {
  addOneHash,
  addOneLeastLoaded,
  addOneQueue,
  addOneRoundRobin,
  type RoutedInput,
} from '../fixtures/routed-add-one.js';
import { median } from '../measure.js';
import { balancedRoundOrder } from '../round-order.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-routing';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 1000;
// Many short rounds rather than a few long ones: the two slices a ratio compares run a fraction of a second
// apart, so a shared machine's load swings (±50 % and more) mostly hit both.
const THROUGHPUT_MS = 300;
const REPS = 24;
const SEQUENTIAL_PER_ROUND = 50;
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
      // An overloaded owner refuses `hash` calls (OverloadedError, retry-after): on a machine loaded enough for
      // that, the call waits out the retry-after and tries again, as a client should; only answered calls count.
      const refusals = VARIANTS.map(() => 0);
      const calls = VARIANTS.map(([, definition], i): Call => {
        let x = 0;
        const call = async (input: RoutedInput): Promise<unknown> => {
          for (;;) {
            try {
              return await client.call(definition, input, { timeoutMs: TIMEOUT_MS });
            } catch (error) {
              if (!OverloadedError.is(error)) throw error;
              refusals[i]!++;
              await new Promise((resolve) => setTimeout(resolve, error.details.retryAfterMs));
            }
          }
        };
        return () => {
          x++;
          return call({ k: KEYS[x & 1023]!, x });
        };
      });
      for (const call of calls) await pipelined(call, IN_FLIGHT, 1_000);
      const latencies = calls.map((): number[] => []);
      const rates = calls.map((): number[] => []);
      // CPU µs per call of the client (this process), the node and nats-server, per round: steadier than calls/s.
      const cpu = calls.map(() => ({ client: [] as number[], node: [] as number[], nats: [] as number[] }));
      const pids = [bench.node('routing-1').pid, server.pid];
      // Interleaved rounds: on a shared machine, load that comes and goes hits every routing alike. The order
      // changes per round so that none always follows the same one (whose garbage it would collect).
      for (let r = 0; r < REPS; r++) {
        for (const i of balancedRoundOrder(r, calls.length)) {
          await sequentialLatencies(calls[i]!, SEQUENTIAL_PER_ROUND, latencies[i]);
          const slice = await measuredSlice(calls[i]!, IN_FLIGHT, THROUGHPUT_MS, pids);
          rates[i]!.push(slice.rate);
          const [node, nats] = slice.cpuUs;
          cpu[i]!.client.push(slice.ownCpuUs);
          if (node !== undefined) cpu[i]!.node.push(node);
          if (nats !== undefined) cpu[i]!.nats.push(nats);
        }
      }
      const index = (label: string) => VARIANTS.findIndex(([name]) => name === label);
      /** Per round, the throughput of `of` over that of `to`. */
      const perRound = (of: string, to: string) => rates[index(of)]!.map((rate, r) => rate / rates[index(to)]![r]!);
      const measurements: Measurement[] = VARIANTS.flatMap(([label], i) => {
        const sorted = latencies[i]!.sort((a, b) => a - b);
        const { client: clientCpu, node: nodeCpu, nats: natsCpu } = cpu[i]!;
        return [
          { name: `${label}, ${IN_FLIGHT} in flight`, value: median(rates[i]!), unit: 'calls/s' as const },
          { name: `${label} p50`, value: percentile(sorted, 0.5), unit: 'µs' as const, samples: sorted.length },
          { name: `${label}, CPU per call: client`, value: median(clientCpu), unit: 'µs' as const },
          ...(nodeCpu.length === 0
            ? []
            : [{ name: `${label}, CPU per call: node`, value: median(nodeCpu), unit: 'µs' as const }]),
          ...(natsCpu.length === 0
            ? []
            : [{ name: `${label}, CPU per call: nats-server`, value: median(natsCpu), unit: 'µs' as const }]),
        ];
      });
      const ratio = (of: string, to: string, op: '>=' | '<=', value: number) => ({
        name: `${of} / ${to} at ${IN_FLIGHT} in flight (median of ${REPS} round ratios)`,
        of: `${of}, ${IN_FLIGHT} in flight`,
        to: `${to}, ${IN_FLIGHT} in flight`,
        rounds: perRound(of, to),
        goal: { op, value },
      });
      const range = (of: string, to: string) => {
        const sorted = perRound(of, to).sort((a, b) => a - b);
        return `${of}/${to} ${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}`;
      };
      return {
        measurements,
        ratios: [
          ratio('hash', 'queue', '>=', 0.95),
          ratio('roundRobin', 'hash', '>=', 0.9),
          ratio('leastLoaded', 'hash', '>=', 0.9),
        ],
        notes: [
          `one lucent-node process (CLI, --threads 2) on nats-server ${server.url}; client = this process (connectCluster).`,
          `${REPS} interleaved rounds, ordered by a balanced Latin square; per round and routing ${SEQUENTIAL_PER_ROUND} sequential calls (p50 over all) and ${THROUGHPUT_MS} ms at ${IN_FLIGHT} in flight in steady state (after a 200 ms ramp; median).`,
          'CPU per call: user + system time of this process (the client), the node process (all threads) and nats-server over each throughput slice, per call; median of rounds.',
          `range of the per-round ratios: ${range('hash', 'queue')}, ${range('roundRobin', 'hash')}, ${range('leastLoaded', 'hash')}.`,
          `total CPU per call (client + node + nats-server, medians): ${VARIANTS.map(([label], i) => `${label} ${(median(cpu[i]!.client) + median(cpu[i]!.node) + median(cpu[i]!.nats)).toFixed(2)} µs`).join(', ')}.`,
          `OverloadedError refusals waited out (retry-after) and retried: ${VARIANTS.map(([label], i) => `${label} ${refusals[i]}`).join(', ')}.`,
          'queue = the queue group by definition (node/remote calls by name); hash keys cycle over 1024 prebuilt strings.',
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
