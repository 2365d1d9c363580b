/**
 * `node/peers`: Lucent beside Moleculer, the same function (`{ x } → x + 1`) served between two processes over
 * the same nats-server, in the same run. Lucent: a `lucent-node` process (the real CLI, 2 pool threads) serving
 * `addOnePooled` from its worker pool and `addOneLow` (`cpu: 'low'`) on its main thread; this process is the
 * client (`connectCluster`). Moleculer 0.14: a `ServiceBroker` process on the NATS transporter serving
 * `peers.addOne`, called from a broker in this process, once with the JSON and once with the MsgPack serializer.
 * Measured for each: throughput with 1000 calls in flight (in steady state, `closed-loop.ts`), the CPU time each
 * process spends per call at that load (client, serving process, nats-server: steadier than calls/s on a shared
 * machine), and sequential latency (p50, p99).
 * Every system is up for the whole run and the measurements alternate: {@link ROUNDS} rounds, each measuring every
 * path in a rotated order (sequential calls, then a throughput slice), so load that comes and goes on a shared
 * machine hits all alike. Each ratio is the median of its per-round ratios (their range is printed).
 * Goals (issue 11): Lucent ≥ 3× Moleculer's best throughput at 1000 in flight; a `cpu: 'low'` function's p50
 * ≤ Moleculer's best p50. Bounded: about 50 s plus process start-ups.
 */
import { fileURLToPath } from 'node:url';
import {
  type ClusterClient,
  connectCluster,
  type NodeProcess,
  startNatsServer,
  startNodeProcess,
} from '@lucent/node/internal';
import { ServiceBroker } from 'moleculer';
import { type Call, measuredSlice, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, RunOptions, Scenario } from '../scenario.js';

const CLUSTER = 'bench-peers';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 1000;
// Many short rounds: the slices a per-round ratio compares run close together, so load swings hit both.
const ROUNDS = 11;
const SEQUENTIAL_PER_ROUND = 300;
const WARM_UP_SEQUENTIAL = 2_000;
const SERIALIZERS = ['JSON', 'MsgPack'] as const;
const LOW = "lucent, cpu 'low' function";
const POOLED = 'lucent, pooled function';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** One call path under test, up until `stop`. */
interface Path {
  readonly label: string;
  readonly call: Call;
  /** The process that serves the calls (its CPU per call is measured with the client's and nats-server's). */
  readonly serverPid: number;
  stop(): Promise<void>;
}

/**
 * What one path measured: per round its p50 (µs), calls/s and CPU µs per call of this process (the client), the
 * serving process and nats-server over the throughput slice; every sequential latency (µs, ascending).
 */
interface PathResult {
  readonly p50s: number[];
  readonly rates: number[];
  readonly latencies: number[];
  readonly cpu: { readonly client: number[]; readonly server: number[]; readonly nats: number[] };
}

/** Lucent: one `lucent-node` process, this process its client; two paths (pooled and `cpu: 'low'`). */
async function startLucent(natsUrl: string): Promise<{ paths: Path[]; node: NodeProcess; stop(): Promise<void> }> {
  const node = startNodeProcess({
    args: [
      ...['--shard', 'peers-1', '--nats', natsUrl, '--cluster', CLUSTER, '--threads', '2'],
      ...['--functions', path('../fixtures/peer-functions.js'), '--http-port', '0', '--log-level', 'info'],
    ],
    stderr: 'inherit',
  });
  let cluster: ClusterClient | undefined;
  const stop = async () => {
    await cluster?.close();
    await node.stop();
  };
  try {
    await node.waitForLog('node.ready');
    cluster = await connectCluster({ servers: natsUrl, cluster: CLUSTER, name: 'bench-peers-client' });
    await cluster.waitForMembers(1, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const client = cluster.client;
  let x = 0;
  const none = async () => {};
  return {
    node,
    stop,
    paths: [
      {
        label: POOLED,
        call: () => client.call('addOnePooled', { x: x++ }, { timeoutMs: TIMEOUT_MS }),
        serverPid: node.pid,
        stop: none,
      },
      {
        label: LOW,
        call: () => client.call('addOneLow', { x: x++ }, { timeoutMs: TIMEOUT_MS }),
        serverPid: node.pid,
        stop: none,
      },
    ],
  };
}

/** Moleculer with `serializer`: a peer process serving `peers.addOne`, and a calling broker here. */
async function startMoleculer(natsUrl: string, serializer: (typeof SERIALIZERS)[number]): Promise<Path> {
  const peer = startNodeProcess({ script: path('../processes/moleculer-peer.js'), args: [natsUrl, serializer] });
  const broker = new ServiceBroker({
    nodeID: `bench-client-${serializer}`,
    namespace: `bench-${serializer}`,
    transporter: natsUrl,
    serializer,
    logger: false,
  });
  const stop = async () => {
    await broker.stop();
    await peer.stop();
  };
  try {
    await peer.waitForOutput('ready');
    await broker.start();
    await broker.waitForServices('peers', 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  let x = 0;
  const call: Call = () => broker.call('peers.addOne', { x: x++ }, { timeout: TIMEOUT_MS });
  return { label: `moleculer ${serializer}`, call, serverPid: peer.pid, stop };
}

/**
 * Warm-up of every path (a burst, then sequential calls, so neither JIT nor the burst's garbage shows in the
 * sample), then {@link ROUNDS} rounds over all paths in rotated order: sequential latencies, then a throughput
 * slice at {@link IN_FLIGHT}.
 */
async function measure(
  paths: readonly Path[],
  natsPid: number,
  throughputMs: number,
  afterRound: (round: number) => void,
): Promise<PathResult[]> {
  for (const p of paths) {
    await pipelined(p.call, IN_FLIGHT, 1_000);
    await sequentialLatencies(p.call, WARM_UP_SEQUENTIAL);
  }
  const results = paths.map(
    (): PathResult => ({ p50s: [], rates: [], latencies: [], cpu: { client: [], server: [], nats: [] } }),
  );
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < paths.length; j++) {
      const i = (j + r) % paths.length;
      const result = results[i]!;
      const round = (await sequentialLatencies(paths[i]!.call, SEQUENTIAL_PER_ROUND)).sort((a, b) => a - b);
      result.p50s.push(percentile(round, 0.5));
      result.latencies.push(...round);
      result.rates.push(await throughputSlice(paths[i]!, natsPid, throughputMs, result.cpu));
    }
    afterRound(r);
  }
  for (const result of results) result.latencies.sort((a, b) => a - b);
  return results;
}

/** Calls/s of one slice at {@link IN_FLIGHT}; the CPU each process spent per call over it goes into `cpu`. */
async function throughputSlice(
  path: Path,
  natsPid: number,
  throughputMs: number,
  cpu: PathResult['cpu'],
): Promise<number> {
  const slice = await measuredSlice(path.call, IN_FLIGHT, throughputMs, [path.serverPid, natsPid]);
  const [server, nats] = slice.cpuUs;
  cpu.client.push(slice.ownCpuUs);
  if (server !== undefined) cpu.server.push(server);
  if (nats !== undefined) cpu.nats.push(nats);
  return slice.rate;
}

/** `of[r] / best[r]` per round, where best is the better Moleculer serializer of that round (`pick`: max or min). */
function perRound(of: readonly number[], moleculers: readonly (readonly number[])[], pick: typeof Math.max): number[] {
  return of.map((value, r) => value / pick(...moleculers.map((m) => m[r]!)));
}

const rangeOf = (ratios: readonly number[]): string =>
  ratios.length === 0 ? 'none' : `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;

export const scenario: Scenario = {
  name: 'node/peers',
  suite: 'node',
  async run(options: RunOptions) {
    const throughputMs = Math.max(300, Math.min(600, options.timeMs));
    const server = await startNatsServer({ jetstream: false });
    const stops: (() => Promise<void>)[] = [];
    try {
      const lucent = await startLucent(server.url);
      stops.push(lucent.stop);
      const paths: Path[] = [...lucent.paths];
      for (const serializer of SERIALIZERS) {
        const moleculer = await startMoleculer(server.url, serializer);
        stops.push(moleculer.stop);
        paths.push(moleculer);
      }
      // The cpu 'low' function must still be inline when measured. It moves to the pool (one warning) when its
      // runs turn slow, which a machine loaded enough to preempt the node mid-run can fake: its rounds from the
      // move on are left out of its ratios (all of them, if it moved before the first round ended).
      let inlineRounds = ROUNDS;
      const moved = () => lucent.node.lines.find((line) => line.msg === 'pool.inline_moved');
      const results = await measure(paths, server.pid, throughputMs, (round) => {
        if (inlineRounds === ROUNDS && moved() !== undefined) inlineRounds = round;
      });
      const byLabel = new Map(paths.map((p, i) => [p.label, results[i]!]));
      const moleculers = SERIALIZERS.map((s) => byLabel.get(`moleculer ${s}`)!);
      const measurements: Measurement[] = [];
      for (const [label, result] of byLabel) {
        measurements.push({ name: `${label}, ${IN_FLIGHT} in flight`, value: median(result.rates), unit: 'calls/s' });
      }
      for (const [label, result] of byLabel) {
        const { client, server: serving, nats } = result.cpu;
        measurements.push({ name: `${label}, CPU per call: client`, value: median(client), unit: 'µs' });
        if (serving.length > 0) {
          measurements.push({ name: `${label}, CPU per call: serving process`, value: median(serving), unit: 'µs' });
        }
        if (nats.length > 0) {
          measurements.push({ name: `${label}, CPU per call: nats-server`, value: median(nats), unit: 'µs' });
        }
      }
      for (const [label, result] of byLabel) {
        const samples = result.latencies.length;
        measurements.push({ name: `${label} p50`, value: percentile(result.latencies, 0.5), unit: 'µs', samples });
        measurements.push({ name: `${label} p99`, value: percentile(result.latencies, 0.99), unit: 'µs', samples });
      }
      measurements.push(
        {
          name: `moleculer best, ${IN_FLIGHT} in flight`,
          value: Math.max(...moleculers.map((m) => median(m.rates))),
          unit: 'calls/s',
        },
        {
          name: 'moleculer best p50',
          value: Math.min(...moleculers.map((m) => percentile(m.latencies, 0.5))),
          unit: 'µs',
        },
      );
      const molRates = moleculers.map((m) => m.rates);
      const molP50s = moleculers.map((m) => m.p50s);
      const pooled = byLabel.get(POOLED)!;
      const low = byLabel.get(LOW)!;
      const rounds = {
        pooledRate: perRound(pooled.rates, molRates, Math.max),
        lowRate: perRound(low.rates, molRates, Math.max).slice(0, inlineRounds),
        lowP50: perRound(low.p50s, molP50s, Math.min).slice(0, inlineRounds),
        pooledP50: perRound(pooled.p50s, molP50s, Math.min),
      };
      return {
        measurements,
        ratios: [
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent pooled / Moleculer best`,
            of: `${POOLED}, ${IN_FLIGHT} in flight`,
            to: `moleculer best, ${IN_FLIGHT} in flight`,
            rounds: rounds.pooledRate,
            goal: { op: '>=', value: 3 },
          },
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent cpu 'low' / Moleculer best`,
            of: `${LOW}, ${IN_FLIGHT} in flight`,
            to: `moleculer best, ${IN_FLIGHT} in flight`,
            rounds: rounds.lowRate,
            goal: { op: '>=', value: 3 },
          },
          {
            name: "sequential p50, Lucent cpu 'low' / Moleculer best",
            of: `${LOW} p50`,
            to: 'moleculer best p50',
            rounds: rounds.lowP50,
            goal: { op: '<=', value: 1 },
          },
          {
            name: 'sequential p50, Lucent pooled / Moleculer best',
            of: `${POOLED} p50`,
            to: 'moleculer best p50',
            rounds: rounds.pooledP50,
          },
        ],
        notes: [
          `One nats-server (harness) for all; each system serves from its own process, this process is the client.`,
          `Lucent: lucent-node CLI, --threads 2; addOnePooled runs in the worker pool, addOneLow (cpu 'low') inline.`,
          `Moleculer 0.14.35 ServiceBroker, NATS transporter, JSON and MsgPack (msgpack5) serializers, logger off.`,
          `${ROUNDS} alternating rounds (rotated order), each path per round: ${SEQUENTIAL_PER_ROUND} sequential calls, then ${IN_FLIGHT} in flight, counted in steady state (${throughputMs} ms after a 200 ms ramp; the calls out at the end are awaited, not counted); after a warm-up per path. p50/p99 over all rounds' samples, calls/s the median of rounds.`,
          'CPU per call: user + system time of this process (the client), the serving process (all its threads) and nats-server over each throughput slice, divided by its calls; median of rounds (clock ticks of 10 ms: a few % per round).',
          inlineRounds === ROUNDS
            ? `addOneLow ran inline throughout.`
            : `addOneLow moved to the pool in round ${inlineRounds + 1} (${JSON.stringify(moved())}): its ratios use the ${inlineRounds} rounds before; its p50/p99/calls/s above mix in pooled runs.`,
          `Ratios are medians of per-round ratios (Moleculer best = the better serializer of that round); ranges: throughput pooled ${rangeOf(rounds.pooledRate)}, cpu 'low' ${rangeOf(rounds.lowRate)}; p50 cpu 'low' ${rangeOf(rounds.lowP50)}, pooled ${rangeOf(rounds.pooledP50)}.`,
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
      await server.stop();
    }
  },
};
