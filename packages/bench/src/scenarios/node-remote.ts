/**
 * `node/remote`: Lucent end to end across processes. A `lucent-node` process (the real CLI, 2 pool threads)
 * serves `addOne` from its worker pool and hosts `benchCounter` actors; this process is the client
 * (`connectCluster`). The raw baseline is `nc.request()` (v2 client, `noAsyncTraces`) to an echo responder
 * process on the same nats-server. Measured:
 * 1. remote calls with 1000 in flight (codec, NATS, router, pool) vs raw request (goals ≥ 300k/s, ≥ 10× raw);
 * 2. sequential latency p50 vs raw request (goal ≤ 1.0×): the pool's hop to a worker is extra work raw skips;
 * 3. remote actor `tell` throughput between the two processes (goal ≥ 500k msgs/s), confirmed by asks.
 * Bounded: ~30 s plus process start-up.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ClusterClient, type NodeProcess, startNodeProcess } from '@lucent/node/internal';
import { connect, type NatsConnection } from 'nats';
import { startBenchCluster } from '../bench-cluster.js';
import { type Call, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';
import { ViewGaps } from '../view-gaps.js';

const RAW_SUBJECT = 'bench.remote.raw';
const UNUSED_SUBJECT = 'lucent.bench-remote.node.unused';
const CLUSTER = 'bench-remote';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 1000;
const SEQUENTIAL = 1_000;
const THROUGHPUT_MS = 1_500;
const REPS = 3;
const ACTORS = 64;
const TELLS = 200_000;
/** Every tell one counter gets in a round. */
const TELL_MAILBOX = Math.ceil(TELLS / ACTORS);

const WARM_UP_SEQUENTIAL = 2_000;

/**
 * Brings a call path to its steady state before it is measured: a burst at `IN_FLIGHT`, then enough sequential
 * calls that the latency sample starts neither cold (the first ~1500 calls through three processes run at 2-4×
 * their later p50 while V8 optimizes them) nor in the ~1 s after a burst, when garbage collection of the burst's
 * heap still shows in p50. Raw and Lucent get the same.
 */
async function warmUp(call: Call): Promise<void> {
  await pipelined(call, IN_FLIGHT, 1_000);
  await sequentialLatencies(call, WARM_UP_SEQUENTIAL);
}

/**
 * CPU time (user + system) that processes spent between construction and {@link perCall}, per call, from
 * `/proc/<pid>/stat` (Linux; 0 where it cannot be read). Clock ticks are 10 ms, so windows of seconds are needed.
 */
class CpuPerCall {
  readonly #pids: readonly number[];
  readonly #start: number[];

  constructor(pids: readonly number[]) {
    this.#pids = pids;
    this.#start = pids.map(cpuMicros);
  }

  perCall(calls: number): number[] {
    return this.#pids.map((pid, i) => (cpuMicros(pid) - (this.#start[i] ?? 0)) / Math.max(1, calls));
  }
}

const CLOCK_TICK_MICROS = 10_000;

function cpuMicros(pid: number): number {
  try {
    // Fields after the command name: state is [0], utime [11], stime [12] (proc(5)).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MICROS || 0;
  } catch {
    return 0;
  }
}

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/**
 * Tells `TELLS` increments spread over `ACTORS` counters; msgs/s until asks confirm every one was applied. A tell
 * or ask that met a gap in the client's view is sent again once the node is back (`view-gaps.ts`).
 */
async function tellThroughput(cluster: ClusterClient, round: number, gaps: ViewGaps): Promise<number> {
  const handles = Array.from({ length: ACTORS }, (_, i) => cluster.client.actor('benchCounter', `r${round}-${i}`));
  const inc = { type: 'inc' };
  const started = performance.now();
  for (let i = 0; i < TELLS; i++) {
    const handle = handles[i % ACTORS]!;
    try {
      handle.tell(inc);
    } catch (error) {
      await gaps.resend(error, () => handle.tell(inc));
    }
    // Yield now and then so the outbound queue flushes while we keep producing (as a real producer would).
    if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve));
  }
  const get = { type: 'get' };
  const counts = await Promise.all(handles.map((h) => gaps.wrap(() => h.ask(get, { timeoutMs: 30_000 }))()));
  const seconds = (performance.now() - started) / 1000;
  const applied = counts.reduce<number>((sum, reply) => sum + (reply as { count: number }).count, 0);
  if (applied !== TELLS) throw new Error(`node/remote: ${applied} of ${TELLS} tells applied`);
  return TELLS / seconds;
}

export const scenario: Scenario = {
  name: 'node/remote',
  suite: 'node',
  async run() {
    const bench = await startBenchCluster({
      cluster: CLUSTER,
      nodes: ['remote-1'],
      args: [
        ...['--threads', '2', '--functions', path('../fixtures/add-one.js')],
        ...['--actors', path('../processes/remote-actors.js'), '--log-level', 'info'],
        // Tells are one-way: a burst faster than the node drains would meet the default mailbox bound (1000) and
        // be refused. This measures throughput of tells that are all applied, so each counter may hold all of its.
        ...['--actor-mailbox-size', String(TELL_MAILBOX)],
      ],
      clientName: 'bench-client',
    });
    const { server, clusterClient: cluster } = bench;
    const node = bench.node('remote-1');
    const gaps = new ViewGaps(cluster, 1);
    let responder: NodeProcess | undefined;
    let nc: NatsConnection | undefined;
    try {
      responder = startNodeProcess({
        script: path('../processes/transport-responder.js'),
        args: [server.url, RAW_SUBJECT, UNUSED_SUBJECT],
        stderr: 'inherit',
      });
      await responder.waitForOutput('ready');
      nc = await connect({ servers: server.url, noAsyncTraces: true });
      const rawNc = nc;
      const client = cluster.client;
      const payload = new Uint8Array(8);
      let x = 0;
      const raw: Call = () => rawNc.request(RAW_SUBJECT, payload, { timeout: TIMEOUT_MS });
      const ours: Call = () => client.call('addOne', x++, { timeoutMs: TIMEOUT_MS });

      // Lucent first, then raw, each block with its own warm-up (JIT on both sides, pool workers, batch-size
      // estimates). Not interleaved: both clients share this process's heap, and raw `nc.request()` allocates a
      // NatsError per call (its `cancel()` after every reply), so interleaved slices billed raw's garbage
      // collection to Lucent's (GC was 15 % of this process's CPU, NatsError 10 %).
      await warmUp(ours);
      const ourLat = (await sequentialLatencies(ours, SEQUENTIAL)).sort((a, b) => a - b);
      const ourRates: number[] = [];
      const cpu = new CpuPerCall([process.pid, node.pid ?? 0, server.pid]);
      for (let r = 0; r < REPS; r++) ourRates.push(await pipelined(ours, IN_FLIGHT, THROUGHPUT_MS));
      const [clientCpu, nodeCpu, natsCpu] = cpu.perCall(
        ourRates.reduce((sum, rate) => sum + rate, 0) * (THROUGHPUT_MS / 1000),
      );
      await tellThroughput(cluster, 0, gaps); // warm-up: activations, JIT
      const tellRates: number[] = [];
      for (let r = 1; r <= 2; r++) tellRates.push(await tellThroughput(cluster, r, gaps));

      await warmUp(raw);
      const rawLat = (await sequentialLatencies(raw, SEQUENTIAL)).sort((a, b) => a - b);
      const rawRates: number[] = [];
      for (let r = 0; r < REPS; r++) rawRates.push(await pipelined(raw, IN_FLIGHT, THROUGHPUT_MS));

      const measurements: Measurement[] = [
        { name: 'raw nc.request p50', value: percentile(rawLat, 0.5), unit: 'µs', samples: rawLat.length },
        { name: 'lucent remote call p50', value: percentile(ourLat, 0.5), unit: 'µs', samples: ourLat.length },
        { name: 'raw nc.request p99', value: percentile(rawLat, 0.99), unit: 'µs', samples: rawLat.length },
        { name: 'lucent remote call p99', value: percentile(ourLat, 0.99), unit: 'µs', samples: ourLat.length },
        { name: `raw nc.request, ${IN_FLIGHT} in flight`, value: median(rawRates), unit: 'calls/s' },
        { name: `lucent remote call, ${IN_FLIGHT} in flight`, value: median(ourRates), unit: 'calls/s' },
        { name: 'lucent remote actor tell', value: median(tellRates), unit: 'msgs/s' },
        // Where the CPU goes at 1000 in flight: with 2 cores, 2e6 / (sum of these) calls/s is the ceiling.
        { name: 'CPU per remote call: client process', value: clientCpu ?? 0, unit: 'µs' },
        { name: 'CPU per remote call: node process (main + pool)', value: nodeCpu ?? 0, unit: 'µs' },
        { name: 'CPU per remote call: nats-server', value: natsCpu ?? 0, unit: 'µs' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'sequential p50, Lucent remote call / raw request',
            of: 'lucent remote call p50',
            to: 'raw nc.request p50',
            goal: { op: '<=', value: 1.0 },
          },
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent remote call / raw request`,
            of: `lucent remote call, ${IN_FLIGHT} in flight`,
            to: `raw nc.request, ${IN_FLIGHT} in flight`,
            goal: { op: '>=', value: 10 },
          },
        ],
        targets: [
          {
            name: 'remote calls at 1000 in flight',
            measurement: `lucent remote call, ${IN_FLIGHT} in flight`,
            op: '>=',
            value: 300_000,
          },
          { name: 'remote actor tell', measurement: 'lucent remote actor tell', op: '>=', value: 500_000 },
        ],
        notes: [
          `lucent-node process (CLI, --threads 2) on nats-server ${server.url} (harness, JetStream for actor state);`,
          'client = this process via connectCluster; raw = nc.request() (noAsyncTraces) to an echo responder process.',
          `Calls: addOne(x) run in the node's piscina pool; median of ${REPS} × ${THROUGHPUT_MS} ms at ${IN_FLIGHT} in flight.`,
          `Tells: ${TELLS} incs over ${ACTORS} counters, timed until asks confirm all applied; median of 2 rounds;`,
          `--actor-mailbox-size ${TELL_MAILBOX} (the default 1000 refuses part of a burst the node cannot keep up with).`,
          'Raw does no work per request (echo); Lucent decodes, routes, runs the function in a worker and encodes.',
          gaps.note(),
        ],
      };
    } finally {
      await nc?.close();
      await responder?.stop();
      await bench.close();
    }
  },
};
