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
import { readCpu } from '../process-cpu.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-cloudevents';
const IN_FLIGHT = 64;
const BATCH = 50;
const ROUND_MS = 1_500;
const ROUNDS = 5;

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
      // Per mode: events/s and the CPU the sender, the node and nats-server spent per event stored (comparable on a
      // loaded machine, where events/s follow the share of CPU the neighbours leave).
      const modes = [
        { name: 'client.emit', call: emit, events: 1, rates: [] as number[], cpu: [] as number[] },
        { name: 'POST /events, binary mode', call: binary, events: 1, rates: [] as number[], cpu: [] as number[] },
        {
          name: `POST /events, batches of ${BATCH}`,
          call: batch,
          events: BATCH,
          rates: [] as number[],
          cpu: [] as number[],
        },
      ];
      const pids = [node.pid, server.pid];
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of modes) {
          const before = readCpu(pids);
          let calls = 0;
          const rate = await pipelined(
            async () => {
              await mode.call();
              calls++;
            },
            IN_FLIGHT,
            ROUND_MS,
          );
          const after = readCpu(pids);
          mode.rates.push(rate * mode.events);
          if (before.others !== undefined && after.others !== undefined) {
            const spent = after.own - before.own + after.others - before.others;
            mode.cpu.push(spent / (calls * mode.events));
          }
        }
      }
      const measurements: Measurement[] = [];
      for (const mode of modes) {
        measurements.push({ name: mode.name, value: median(mode.rates), unit: 'msgs/s' });
        if (mode.cpu.length > 0) {
          measurements.push({ name: `${mode.name}, CPU per event`, value: median(mode.cpu), unit: 'µs' });
        }
      }
      return {
        measurements,
        ratios: [
          { name: 'HTTP binary events / client.emit events', of: 'POST /events, binary mode', to: 'client.emit' },
          {
            name: `HTTP batch (${BATCH}) events / client.emit events`,
            of: `POST /events, batches of ${BATCH}`,
            to: 'client.emit',
          },
          {
            name: 'CPU per event (sender + node + NATS), HTTP binary / client.emit',
            of: 'POST /events, binary mode, CPU per event',
            to: 'client.emit, CPU per event',
          },
        ],
        notes: [
          `lucent-node process (CLI) on nats-server ${server.url} with JetStream (event stream, file storage);`,
          `${IN_FLIGHT} requests (or emits) in flight from this process; values are events stored per second;`,
          `median of ${ROUNDS} × ${ROUND_MS} ms per mode, modes alternating; no handler consumes the events.`,
          'CPU per event: this process (the sender) + the node + nats-server (/proc), all the work of storing one.',
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
