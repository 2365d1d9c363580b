/**
 * `node/grpc`: the gRPC gateway against the native client on the same function in the same run. One
 * `lucent-node` process (the real CLI, 2 pool threads, `--grpc-port`) serves `addOne`; this process calls it
 * 1. through `lucent.v1.FunctionService/ExecuteFunction` with a grpc-js client loaded from the shipped proto
 *    (JSON CloudEvent in, JSON out), and
 * 2. through the native client's `call()` (`connectCluster`), the baseline the goals name, and
 * 3. on a bare grpc-js server process of the same proto that answers `x + 1` in its handler (the raw library:
 *    what gRPC alone costs here, with no Lucent behind it).
 * Measured in alternating rounds: calls/s at 100 in flight and sequential p50 of each (goals: gRPC ≥ 0.5× native
 * throughput, p50 ≤ 1.5× native), and the CPU time each side spends per call (`process-cpu.ts`), which stays
 * comparable on a loaded machine. Bounded: ~60 s plus process start-up.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  type ClusterClient,
  connectCluster,
  FUNCTION_SERVICE_PROTO,
  type NodeProcess,
  PROTO_DIR,
  startNatsServer,
  startNodeProcess,
} from '@lucent/node/internal';
import { type Call, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import { readCpu } from '../process-cpu.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-grpc';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 100;
const SEQUENTIAL = 1_000;
const THROUGHPUT_MS = 1_500;
const REPS = 5;
const WARM_UP_SEQUENTIAL = 2_000;

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** Steady state before measuring (JIT on both sides, pool batch estimates, HTTP/2 windows): a burst, then calls. */
async function warmUp(call: Call): Promise<void> {
  await pipelined(call, IN_FLIGHT, 1_000);
  await sequentialLatencies(call, WARM_UP_SEQUENTIAL);
}

type ExecuteFunction = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: { data?: Buffer }) => void,
) => void;

/**
 * What the bench's gRPC channels set: channelz off, as on the gateway (grpc-js keeps per-call statistics for it by
 * default; a client that wants throughput turns it off too, README "gRPC gateway").
 */
const CLIENT_OPTIONS: grpc.ChannelOptions = { 'grpc.enable_channelz': 0 };

/** A grpc-js client of the shipped proto, as a user in another language would generate one. */
function grpcClient(address: string): grpc.Client & { ExecuteFunction: ExecuteFunction } {
  const definition = loadSync(FUNCTION_SERVICE_PROTO, { includeDirs: [PROTO_DIR], oneofs: true });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    lucent: {
      v1: {
        FunctionService: new (
          address: string,
          credentials: grpc.ChannelCredentials,
          options: grpc.ChannelOptions,
        ) => grpc.Client;
      };
    };
  };
  const client = new root.lucent.v1.FunctionService(address, grpc.credentials.createInsecure(), CLIENT_OPTIONS);
  return client as grpc.Client & { ExecuteFunction: ExecuteFunction };
}

/** One call path and the processes that serve it (their CPU is billed to it). */
interface Path {
  readonly name: string;
  readonly call: Call;
  readonly serverPids: readonly number[];
  readonly latencies: number[];
  readonly rates: number[];
  /** CPU µs per call of this process (the client) and of the serving processes, per round. */
  readonly clientCpu: number[];
  readonly serverCpu: number[];
}

/** One throughput window of `path` at `IN_FLIGHT`, with the CPU every side spent on it. */
async function throughputRound(path: Path): Promise<void> {
  const before = readCpu(path.serverPids);
  let calls = 0;
  const counted: Call = async () => {
    await path.call();
    calls++;
  };
  path.rates.push(await pipelined(counted, IN_FLIGHT, THROUGHPUT_MS));
  const after = readCpu(path.serverPids);
  path.clientCpu.push((after.own - before.own) / calls);
  if (after.others !== undefined && before.others !== undefined) {
    path.serverCpu.push((after.others - before.others) / calls);
  }
}

export const scenario: Scenario = {
  name: 'node/grpc',
  suite: 'node',
  async run() {
    const server = await startNatsServer({ jetstream: true });
    let node: NodeProcess | undefined;
    let cluster: ClusterClient | undefined;
    let client: ReturnType<typeof grpcClient> | undefined;
    let echo: NodeProcess | undefined;
    let echoClient: ReturnType<typeof grpcClient> | undefined;
    try {
      node = startNodeProcess({
        args: [
          ...['--shard', 'grpc-1', '--nats', server.url, '--cluster', CLUSTER, '--threads', '2'],
          ...['--functions', path('../fixtures/add-one.js'), '--http-port', '0', '--grpc-port', '0'],
        ],
        stderr: 'inherit',
      });
      const port = (await node.waitForLog('gateway.grpc_listening')).port as number;
      await node.waitForLog('node.ready');
      cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, name: 'bench-grpc-client' });
      await cluster.waitForMembers(1, 10_000);
      const grpcStub = grpcClient(`127.0.0.1:${port}`);
      client = grpcStub;
      echo = startNodeProcess({ script: path('../processes/grpc-echo.js'), stderr: 'inherit' });
      await echo.waitForOutput('port ');
      const echoPort = Number(/port (\d+)/.exec(echo.stdout)?.[1]);
      const echoStub = grpcClient(`127.0.0.1:${echoPort}`);
      echoClient = echoStub;
      const nodePid = node.pid;
      const echoPid = echo.pid;
      const native = cluster.client;
      let x = 0;
      const nativeCall: Call = () => native.call('addOne', x++, { timeoutMs: TIMEOUT_MS });
      const executeOn =
        (stub: ReturnType<typeof grpcClient>): Call =>
        () =>
          new Promise((resolve, reject) => {
            const data = Buffer.from(String(x++));
            const event = { id: '', source: '/bench', specVersion: '1.0', type: 'bench', binaryData: data };
            const options = { deadline: Date.now() + TIMEOUT_MS };
            stub.ExecuteFunction({ name: 'addOne', event }, options, (error, response) => {
              if (error !== null) reject(error);
              else if (response.data === undefined) reject(new Error('node/grpc: addOne answered no data'));
              else resolve(Number(response.data.toString('utf8')));
            });
          });
      const NATIVE = 'native call()';
      const GATEWAY = 'gRPC ExecuteFunction';
      const RAW = 'raw grpc-js echo';
      const pathOf = (name: string, call: Call, serverPids: readonly number[]): Path => ({
        name,
        call,
        serverPids,
        latencies: [],
        rates: [],
        clientCpu: [],
        serverCpu: [],
      });
      // The node and nats-server serve both Lucent paths (the gateway reaches its router over NATS, as any client).
      const paths = [
        pathOf(GATEWAY, executeOn(grpcStub), [nodePid, server.pid]),
        pathOf(RAW, executeOn(echoStub), [echoPid]),
        pathOf(NATIVE, nativeCall, [nodePid, server.pid]),
      ];
      for (const each of paths) await warmUp(each.call);
      // Rounds alternate the paths (in a rotating order), so a neighbour's burst on the shared machine is spread
      // over all of them instead of landing on one.
      for (let round = 0; round < REPS; round++) {
        for (let i = 0; i < paths.length; i++) {
          const each = paths[(round + i) % paths.length] as Path;
          await sequentialLatencies(each.call, SEQUENTIAL / REPS, each.latencies);
          await throughputRound(each);
        }
      }

      const measurements: Measurement[] = [];
      for (const each of paths) {
        const sorted = each.latencies.sort((a, b) => a - b);
        measurements.push(
          { name: `${each.name} p50`, value: percentile(sorted, 0.5), unit: 'µs', samples: sorted.length },
          { name: `${each.name} p99`, value: percentile(sorted, 0.99), unit: 'µs', samples: sorted.length },
          { name: `${each.name}, ${IN_FLIGHT} in flight`, value: median(each.rates), unit: 'calls/s' },
          { name: `${each.name}, client CPU per call`, value: median(each.clientCpu), unit: 'µs' },
        );
        if (each.serverCpu.length > 0) {
          measurements.push({ name: `${each.name}, server CPU per call`, value: median(each.serverCpu), unit: 'µs' });
        }
      }
      const cpu = (name: string) => `${name}, client CPU per call`;
      const serverCpu = (name: string) => `${name}, server CPU per call`;
      return {
        measurements,
        ratios: [
          {
            name: `throughput at ${IN_FLIGHT} in flight, gRPC / native call()`,
            of: `${GATEWAY}, ${IN_FLIGHT} in flight`,
            to: `${NATIVE}, ${IN_FLIGHT} in flight`,
            goal: { op: '>=', value: 0.5 },
          },
          {
            name: 'sequential p50, gRPC / native call()',
            of: `${GATEWAY} p50`,
            to: `${NATIVE} p50`,
            goal: { op: '<=', value: 1.5 },
          },
          {
            name: `throughput at ${IN_FLIGHT} in flight, gRPC gateway / raw grpc-js echo`,
            of: `${GATEWAY}, ${IN_FLIGHT} in flight`,
            to: `${RAW}, ${IN_FLIGHT} in flight`,
          },
          { name: 'sequential p50, gRPC gateway / raw grpc-js echo', of: `${GATEWAY} p50`, to: `${RAW} p50` },
          { name: 'client CPU per call, raw grpc-js / native call()', of: cpu(RAW), to: cpu(NATIVE) },
          { name: 'server CPU per call, raw grpc-js / native call()', of: serverCpu(RAW), to: serverCpu(NATIVE) },
          { name: 'server CPU per call, gRPC gateway / raw grpc-js', of: serverCpu(GATEWAY), to: serverCpu(RAW) },
        ],
        notes: [
          `lucent-node process (CLI, --threads 2, --grpc-port) on nats-server ${server.url}; addOne(x) in its pool.`,
          'gRPC: grpc-js client from the shipped proto (channelz off), JSON CloudEvent in and out, plaintext, no',
          'token; the gateway node then calls through its own client engine (one more hop over NATS to its router).',
          'native: connectCluster client call() from this process. raw: a bare grpc-js server process of the same',
          'proto and server options answering x + 1 in its handler: what gRPC alone costs here, with no Lucent.',
          `${REPS} rounds, the paths alternating in each; rates and CPU are medians of ${THROUGHPUT_MS} ms windows.`,
          'CPU per call: this process (client) and the serving processes (node + nats-server, or the echo',
          'process) from /proc, in µs per call: on a shared machine it is the comparable number, calls/s follow',
          'the CPU share the neighbours leave. A unary grpc-js call costs both sides far more CPU than a native',
          'call, which rides in coalesced NATS frames and pool batches: the raw/native CPU ratios bound the gateway.',
        ],
      };
    } finally {
      client?.close();
      echoClient?.close();
      await echo?.stop();
      await cluster?.close();
      await node?.stop();
      await server.stop();
    }
  },
};
