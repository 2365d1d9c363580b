/**
 * `node/cloudevents`: CloudEvents over HTTP ingest. One `lucent-node` process (the real CLI) on a nats-server with
 * JetStream takes `POST /events` on its HTTP port; this process posts binary-mode events (one per request) and
 * batches (`application/cloudevents-batch+json`, {@link BATCH} per request) with {@link IN_FLIGHT} requests in
 * flight, and, in the same run, stores events with `client.emit` from this process with as many in flight: the path
 * the gateway ends in, without HTTP, parsing or the extra hop. Each 202 / resolved emit means "stored in the stream".
 * Reports events/s of each and the ratios. Bounded: ~15 s plus process start-up.
 */
import { Agent, request } from 'node:http';
import { connect, type LucentClient, type NodeProcess, startNatsServer, startNodeProcess } from '@lucent/node/internal';
import { type Call, pipelined } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-cloudevents';
const IN_FLIGHT = 64;
const BATCH = 50;
const ROUND_MS = 1_500;
const ROUNDS = 3;

/**
 * Posts with a keep-alive `node:http` agent (one socket per request in flight): undici's `fetch` costs this process
 * more CPU per request than the node spends serving it, which would measure the client. Rejects on anything but 202
 * (a bench that counted failures as events would lie).
 */
function poster(url: URL, agent: Agent, headers: () => Record<string, string>, body: () => string): Call {
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: headers() },
        (res) => {
          res.resume();
          res.once('end', () =>
            res.statusCode === 202 ? resolve() : reject(new Error(`POST /events: ${res.statusCode}`)),
          );
        },
      );
      req.once('error', reject);
      req.end(body());
    });
}

export const scenario: Scenario = {
  name: 'node/cloudevents',
  suite: 'node',
  async run() {
    const server = await startNatsServer({ jetstream: true });
    let node: NodeProcess | undefined;
    let client: LucentClient | undefined;
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    try {
      node = startNodeProcess({
        args: [
          ...['--shard', 'ce-1', '--nats', server.url, '--cluster', CLUSTER, '--threads', '1'],
          ...['--http-port', '0', '--log-level', 'info'],
        ],
        stderr: 'inherit',
      });
      const ready = await node.waitForLog('node.ready');
      const url = new URL(`http://127.0.0.1:${ready.httpPort as number}/events`);
      client = await connect({ servers: server.url, cluster: CLUSTER });
      let seq = 0;
      const data = JSON.stringify({ orderId: 'o-1', total: 42 });
      const binary = poster(
        url,
        agent,
        () => ({
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': `b${seq++}`,
          'ce-source': '/bench',
          'ce-type': 'OrderPlaced',
        }),
        () => data,
      );
      const batchHeaders = { 'content-type': 'application/cloudevents-batch+json' };
      const batch = poster(
        url,
        agent,
        () => batchHeaders,
        () =>
          JSON.stringify(
            Array.from({ length: BATCH }, () => ({
              specversion: '1.0',
              id: `t${seq++}`,
              source: '/bench',
              type: 'OrderPlaced',
              data: { orderId: 'o-1', total: 42 },
            })),
          ),
      );
      const order = { orderId: 'o-1', total: 42 };
      const emitting = client;
      const emit: Call = () => emitting.emit('OrderPlaced', order);
      // Warm-up: streams, sockets, JIT on both sides.
      for (const call of [binary, batch, emit]) await pipelined(call, IN_FLIGHT, 500);
      const binaryRates: number[] = [];
      const batchRates: number[] = [];
      const emitRates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        emitRates.push(await pipelined(emit, IN_FLIGHT, ROUND_MS));
        binaryRates.push(await pipelined(binary, IN_FLIGHT, ROUND_MS));
        batchRates.push((await pipelined(batch, IN_FLIGHT, ROUND_MS)) * BATCH);
      }
      const measurements: Measurement[] = [
        { name: 'client.emit', value: median(emitRates), unit: 'msgs/s' },
        { name: 'POST /events, binary mode', value: median(binaryRates), unit: 'msgs/s' },
        { name: `POST /events, batches of ${BATCH}`, value: median(batchRates), unit: 'msgs/s' },
      ];
      return {
        measurements,
        ratios: [
          { name: 'HTTP binary events / client.emit events', of: 'POST /events, binary mode', to: 'client.emit' },
          {
            name: `HTTP batch (${BATCH}) events / client.emit events`,
            of: `POST /events, batches of ${BATCH}`,
            to: 'client.emit',
          },
        ],
        notes: [
          `lucent-node process (CLI) on nats-server ${server.url} with JetStream (event stream, file storage);`,
          `${IN_FLIGHT} requests (or emits) in flight from this process; values are events stored per second;`,
          `median of ${ROUNDS} × ${ROUND_MS} ms per mode, modes alternating; no handler consumes the events.`,
        ],
      };
    } finally {
      agent.destroy();
      await client?.close();
      await node?.stop();
      await server.stop();
    }
  },
};
