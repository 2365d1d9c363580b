/**
 * `node/durable`: what an acknowledgement that means "stored" costs. One `lucent-node` process (the real CLI) on a
 * nats-server with JetStream hosts the same counter in two modes: `durableCounter` (default: the reply waits for
 * the snapshot's KV write, group-committed) and `behindCounter` (`'write-behind'`: reply first, save behind). This
 * process asks `inc` of many actors with many asks in flight, alternating the two modes round by round, and
 * reports asks/s of each and their ratio (goal: durable ≥ 0.8× write-behind), over many actors (about one ask in
 * flight each) and over few (about 50 each: group commit). The raw baseline is JetStream KV
 * `put` from this process with as many in flight (one write per ask, no actor, no routing).
 * Bounded: ~25 s plus process start-up.
 */
import { fileURLToPath } from 'node:url';
import type { ClusterClient } from '@lucent/node/internal';
import { connect, type NatsConnection } from 'nats';
import { startBenchCluster } from '../bench-cluster.js';
import { type Call, pipelined } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';
import { ViewGaps } from '../view-gaps.js';

const CLUSTER = 'bench-durable';
const TIMEOUT_MS = 30_000;
const ACTORS = 1_000;
/** The second load: few actors, ~50 asks in flight each, where group commit shares one save among many asks. */
const HOT_ACTORS = 20;
const IN_FLIGHT = 1_000;
const ROUND_MS = 1_500;
const ROUNDS = 3;

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** Asks `inc` round-robin over `actors` actors of `type`; an ask that met a gap in the client's view goes again. */
function asker(cluster: ClusterClient, type: string, actors: number, prefix: string, gaps: ViewGaps): Call {
  const handles = Array.from({ length: actors }, (_, i) => cluster.client.actor(type, `${prefix}${i}`));
  const inc = { type: 'inc' };
  const options = { timeoutMs: TIMEOUT_MS };
  let next = 0;
  return gaps.wrap(() => (handles[next++ % actors] as (typeof handles)[number]).ask(inc, options));
}

export const scenario: Scenario = {
  name: 'node/durable',
  suite: 'node',
  async run() {
    const bench = await startBenchCluster({
      cluster: CLUSTER,
      nodes: ['durable-1'],
      args: ['--threads', '1', '--actors', path('../processes/durable-actors.js'), '--log-level', 'info'],
      clientName: 'bench-client',
    });
    const { server, clusterClient: cluster } = bench;
    let nc: NatsConnection | undefined;
    try {
      const gaps = new ViewGaps(cluster, 1);
      const durable = asker(cluster, 'durableCounter', ACTORS, 'a', gaps);
      const behind = asker(cluster, 'behindCounter', ACTORS, 'a', gaps);
      const hotDurable = asker(cluster, 'durableCounter', HOT_ACTORS, 'hot', gaps);
      const hotBehind = asker(cluster, 'behindCounter', HOT_ACTORS, 'hot', gaps);
      // Warm-up: activations (one KV read each), JIT on both sides.
      for (const call of [durable, behind, hotDurable, hotBehind]) await pipelined(call, IN_FLIGHT, 1_000);
      const durableRates: number[] = [];
      const behindRates: number[] = [];
      const hotDurableRates: number[] = [];
      const hotBehindRates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        behindRates.push(await pipelined(behind, IN_FLIGHT, ROUND_MS));
        durableRates.push(await pipelined(durable, IN_FLIGHT, ROUND_MS));
        hotBehindRates.push(await pipelined(hotBehind, IN_FLIGHT, ROUND_MS));
        hotDurableRates.push(await pipelined(hotDurable, IN_FLIGHT, ROUND_MS));
      }
      nc = await connect({ servers: server.url, noAsyncTraces: true });
      const kv = await nc.jetstream().views.kv('bench_raw_kv', { history: 1 });
      const value = new Uint8Array(32);
      let k = 0;
      const raw: Call = () => kv.put(`k${k++ % ACTORS}`, value);
      await pipelined(raw, IN_FLIGHT, 1_000);
      const rawRates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) rawRates.push(await pipelined(raw, IN_FLIGHT, ROUND_MS));

      const measurements: Measurement[] = [
        { name: 'write-behind asks', value: median(behindRates), unit: 'calls/s' },
        { name: 'durable asks', value: median(durableRates), unit: 'calls/s' },
        { name: `write-behind asks, ${HOT_ACTORS} actors`, value: median(hotBehindRates), unit: 'calls/s' },
        { name: `durable asks, ${HOT_ACTORS} actors`, value: median(hotDurableRates), unit: 'calls/s' },
        { name: `raw KV put, ${IN_FLIGHT} in flight`, value: median(rawRates), unit: 'calls/s' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'durable asks / write-behind asks (same node, same load)',
            of: 'durable asks',
            to: 'write-behind asks',
            goal: { op: '>=', value: 0.8 },
          },
          {
            name: `durable / write-behind, ${HOT_ACTORS} actors (~${IN_FLIGHT / HOT_ACTORS} asks in flight each)`,
            of: `durable asks, ${HOT_ACTORS} actors`,
            to: `write-behind asks, ${HOT_ACTORS} actors`,
            goal: { op: '>=', value: 0.8 },
          },
          {
            name: 'durable asks / raw KV puts',
            of: 'durable asks',
            to: `raw KV put, ${IN_FLIGHT} in flight`,
          },
        ],
        notes: [
          `lucent-node process (CLI) on nats-server ${server.url} with JetStream (KV state, file storage);`,
          `client = this process via connectCluster; ${IN_FLIGHT} asks in flight over ${ACTORS} (then ${HOT_ACTORS}) actors of each type;`,
          `median of ${ROUNDS} × ${ROUND_MS} ms per mode, modes alternating; raw = kv.put() from this process.`,
          gaps.note(),
        ],
      };
    } finally {
      await nc?.close();
      await bench.close();
    }
  },
};
