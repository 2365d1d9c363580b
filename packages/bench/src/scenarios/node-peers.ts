/**
 * `node/peers`: Lucent beside Moleculer, the same function (`{ x } → x + 1`) served between two processes over
 * the same nats-server, in the same run. Lucent: a `lucent-node` process (the real CLI, 2 pool threads) serving
 * `addOnePooled` from its worker pool and `addOneLow` (`cpu: 'low'`) on its main thread; this process is the
 * client (`connectCluster`). Moleculer 0.14: a `ServiceBroker` process on the NATS transporter serving
 * `peers.addOne`, called from a broker in this process, once with the JSON and once with the MsgPack serializer.
 * Measured for each: throughput with 1000 calls in flight, and sequential latency (p50, p99).
 * Goals (issue 11): Lucent ≥ 3× Moleculer's best throughput at 1000 in flight; a `cpu: 'low'` function's p50
 * ≤ Moleculer's best p50. Bounded: about a minute plus process start-ups.
 */
import { fileURLToPath } from 'node:url';
import { type ClusterClient, connectCluster, startNatsServer, startNodeProcess } from '@lucent/node/internal';
import { ServiceBroker } from 'moleculer';
import { type Call, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, RunOptions, Scenario } from '../scenario.js';

const CLUSTER = 'bench-peers';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 1000;
const SEQUENTIAL = 2_000;
const REPS = 3;
const WARM_UP_SEQUENTIAL = 2_000;
const SERIALIZERS = ['JSON', 'MsgPack'] as const;

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** What one call path measured: median calls/s at {@link IN_FLIGHT}, and sequential latencies (µs, ascending). */
interface PathResult {
  readonly rate: number;
  readonly latencies: number[];
}

/**
 * Warm-up (a burst, then sequential calls, so neither JIT nor the burst's garbage shows in the sample), then
 * the sequential latencies, then {@link REPS} throughput slices. Every system gets the same.
 */
async function measurePath(call: Call, throughputMs: number): Promise<PathResult> {
  await pipelined(call, IN_FLIGHT, 1_000);
  await sequentialLatencies(call, WARM_UP_SEQUENTIAL);
  const latencies = (await sequentialLatencies(call, SEQUENTIAL)).sort((a, b) => a - b);
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) rates.push(await pipelined(call, IN_FLIGHT, throughputMs));
  return { rate: median(rates), latencies };
}

/** Lucent: one `lucent-node` process and this process as its client. */
async function measureLucent(natsUrl: string, throughputMs: number): Promise<Record<string, PathResult>> {
  const node = startNodeProcess({
    args: [
      ...['--shard', 'peers-1', '--nats', natsUrl, '--cluster', CLUSTER, '--threads', '2'],
      ...['--functions', path('../fixtures/peer-functions.js'), '--http-port', '0', '--log-level', 'info'],
    ],
    stderr: 'inherit',
  });
  let cluster: ClusterClient | undefined;
  try {
    await node.waitForLog('node.ready');
    cluster = await connectCluster({ servers: natsUrl, cluster: CLUSTER, name: 'bench-peers-client' });
    await cluster.waitForMembers(1, 10_000);
    const client = cluster.client;
    let x = 0;
    const pooled: Call = () => client.call('addOnePooled', { x: x++ }, { timeoutMs: TIMEOUT_MS });
    const low: Call = () => client.call('addOneLow', { x: x++ }, { timeoutMs: TIMEOUT_MS });
    const result = { pooled: await measurePath(pooled, throughputMs), low: await measurePath(low, throughputMs) };
    // The cpu 'low' function must still have been inline when measured (it moves, with a warning, if it turned slow).
    if (node.lines.some((line) => line.msg === 'pool.inline_moved')) {
      throw new Error('node/peers: addOneLow left the main thread during the bench');
    }
    return result;
  } finally {
    await cluster?.close();
    await node.stop();
  }
}

/** Moleculer with `serializer`: a peer process serving `peers.addOne`, and a calling broker here. */
async function measureMoleculer(
  natsUrl: string,
  serializer: (typeof SERIALIZERS)[number],
  throughputMs: number,
): Promise<PathResult> {
  const peer = startNodeProcess({ script: path('../processes/moleculer-peer.js'), args: [natsUrl, serializer] });
  const broker = new ServiceBroker({
    nodeID: `bench-client-${serializer}`,
    namespace: `bench-${serializer}`,
    transporter: natsUrl,
    serializer,
    logger: false,
  });
  try {
    await peer.waitForOutput('ready');
    await broker.start();
    await broker.waitForServices('peers', 10_000);
    let x = 0;
    const call: Call = () => broker.call('peers.addOne', { x: x++ }, { timeout: TIMEOUT_MS });
    return await measurePath(call, throughputMs);
  } finally {
    await broker.stop();
    await peer.stop();
  }
}

export const scenario: Scenario = {
  name: 'node/peers',
  suite: 'node',
  async run(options: RunOptions) {
    const throughputMs = Math.max(500, Math.min(1_500, options.timeMs));
    const server = await startNatsServer({ jetstream: false });
    try {
      const lucent = await measureLucent(server.url, throughputMs);
      const moleculer: Record<string, PathResult> = {};
      for (const serializer of SERIALIZERS) {
        moleculer[serializer] = await measureMoleculer(server.url, serializer, throughputMs);
      }
      const paths: [string, PathResult][] = [
        ['lucent, pooled function', lucent.pooled!],
        ["lucent, cpu 'low' function", lucent.low!],
        ...SERIALIZERS.map((s): [string, PathResult] => [`moleculer ${s}`, moleculer[s]!]),
      ];
      const measurements: Measurement[] = [];
      for (const [label, result] of paths) {
        measurements.push({ name: `${label}, ${IN_FLIGHT} in flight`, value: result.rate, unit: 'calls/s' });
      }
      for (const [label, result] of paths) {
        const samples = result.latencies.length;
        measurements.push({ name: `${label} p50`, value: percentile(result.latencies, 0.5), unit: 'µs', samples });
        measurements.push({ name: `${label} p99`, value: percentile(result.latencies, 0.99), unit: 'µs', samples });
      }
      const moleculers = SERIALIZERS.map((s) => moleculer[s]!);
      measurements.push(
        {
          name: `moleculer best, ${IN_FLIGHT} in flight`,
          value: Math.max(...moleculers.map((m) => m.rate)),
          unit: 'calls/s',
        },
        {
          name: 'moleculer best p50',
          value: Math.min(...moleculers.map((m) => percentile(m.latencies, 0.5))),
          unit: 'µs',
        },
      );
      return {
        measurements,
        ratios: [
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent pooled / Moleculer best`,
            of: `lucent, pooled function, ${IN_FLIGHT} in flight`,
            to: `moleculer best, ${IN_FLIGHT} in flight`,
            goal: { op: '>=', value: 3 },
          },
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent cpu 'low' / Moleculer best`,
            of: `lucent, cpu 'low' function, ${IN_FLIGHT} in flight`,
            to: `moleculer best, ${IN_FLIGHT} in flight`,
            goal: { op: '>=', value: 3 },
          },
          {
            name: "sequential p50, Lucent cpu 'low' / Moleculer best",
            of: "lucent, cpu 'low' function p50",
            to: 'moleculer best p50',
            goal: { op: '<=', value: 1 },
          },
          {
            name: 'sequential p50, Lucent pooled / Moleculer best',
            of: 'lucent, pooled function p50',
            to: 'moleculer best p50',
          },
        ],
        notes: [
          `One nats-server (harness) for both; each system serves from its own process, this process is the client.`,
          `Lucent: lucent-node CLI, --threads 2; addOnePooled runs in the worker pool, addOneLow (cpu 'low') inline.`,
          `Moleculer 0.14.35 ServiceBroker, NATS transporter, JSON and MsgPack (msgpack5) serializers, logger off.`,
          `Throughput: median of ${REPS} × ${throughputMs} ms closed loops at ${IN_FLIGHT} in flight; latency: ${SEQUENTIAL} sequential calls after a warm-up.`,
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
