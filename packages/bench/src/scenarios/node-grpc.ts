/**
 * `node/grpc`: the gRPC gateway against the native client on the same function in the same run. One
 * `lucent-node` process (the real CLI, 2 pool threads, `--grpc-port`) serves `addOne`; this process calls it
 * 1. through `lucent.v1.FunctionService/ExecuteFunction` with a grpc-js client loaded from the shipped proto
 *    (JSON CloudEvent in, JSON out), and
 * 2. through the native client's `call()` (`connectCluster`), the baseline the goals name, and
 * 3. on a bare grpc-js server process of the same proto that answers `x + 1` in its handler (the raw library:
 *    what gRPC alone costs here, with no Lucent behind it).
 * Measured: calls/s at 100 in flight and sequential p50 of each (goals: gRPC ≥ 0.5× native throughput, p50 ≤
 * 1.5× native). Bounded: ~25 s plus process start-up.
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
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-grpc';
const TIMEOUT_MS = 10_000;
const IN_FLIGHT = 100;
const SEQUENTIAL = 1_000;
const THROUGHPUT_MS = 1_500;
const REPS = 3;
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

/** A grpc-js client of the shipped proto, as a user in another language would generate one. */
function grpcClient(address: string): grpc.Client & { ExecuteFunction: ExecuteFunction } {
  const definition = loadSync(FUNCTION_SERVICE_PROTO, { includeDirs: [PROTO_DIR], oneofs: true });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    lucent: { v1: { FunctionService: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
  };
  const client = new root.lucent.v1.FunctionService(address, grpc.credentials.createInsecure());
  return client as grpc.Client & { ExecuteFunction: ExecuteFunction };
}

/** Measures one call path: p50 (sorted latencies) and the median calls/s of `REPS` windows at `IN_FLIGHT`. */
async function measure(call: Call): Promise<{ latencies: number[]; rate: number }> {
  await warmUp(call);
  const latencies = (await sequentialLatencies(call, SEQUENTIAL)).sort((a, b) => a - b);
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) rates.push(await pipelined(call, IN_FLIGHT, THROUGHPUT_MS));
  return { latencies, rate: median(rates) };
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
      echoClient = grpcClient(`127.0.0.1:${echoPort}`);
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
      // One path after the other, each with its own warm-up; not interleaved, so one's garbage is not billed to
      // the other (as in node/remote).
      const ours = await measure(nativeCall);
      const gateway = await measure(executeOn(grpcStub));
      const raw = await measure(executeOn(echoClient));

      const p50 = (name: string, latencies: number[]): Measurement => ({
        name: `${name} p50`,
        value: percentile(latencies, 0.5),
        unit: 'µs',
        samples: SEQUENTIAL,
      });
      const p99 = (name: string, latencies: number[]): Measurement => ({
        name: `${name} p99`,
        value: percentile(latencies, 0.99),
        unit: 'µs',
        samples: SEQUENTIAL,
      });
      const rate = (name: string, value: number): Measurement => ({
        name: `${name}, ${IN_FLIGHT} in flight`,
        value,
        unit: 'calls/s',
      });
      const NATIVE = 'native call()';
      const GATEWAY = 'gRPC ExecuteFunction';
      const RAW = 'raw grpc-js echo';
      const measurements: Measurement[] = [
        p50(NATIVE, ours.latencies),
        p50(GATEWAY, gateway.latencies),
        p50(RAW, raw.latencies),
        p99(NATIVE, ours.latencies),
        p99(GATEWAY, gateway.latencies),
        p99(RAW, raw.latencies),
        rate(NATIVE, ours.rate),
        rate(GATEWAY, gateway.rate),
        rate(RAW, raw.rate),
      ];
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
        ],
        notes: [
          `lucent-node process (CLI, --threads 2, --grpc-port) on nats-server ${server.url}; addOne(x) in its pool.`,
          'gRPC: grpc-js client from the shipped proto, JSON CloudEvent in and out, plaintext, no token; the gateway',
          'node then calls through its own client engine (one more hop over NATS to its router, like any client).',
          `native: connectCluster client call() from this process. Median of ${REPS} × ${THROUGHPUT_MS} ms windows.`,
          'raw: a bare grpc-js server process of the same proto answering x + 1 in its handler: the cost of gRPC',
          "itself here, which bounds the gateway (grpc-js spends far more CPU per call than the native client's",
          'coalesced NATS frames).',
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
