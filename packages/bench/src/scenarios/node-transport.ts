/**
 * `node/transport`: the Lucent NATS transport's request/reply against raw `nc.request()` (v2 client,
 * `noAsyncTraces`), both answered by an echo responder in a child process, on a nats-server the scenario starts
 * on a free port (harness) and stops at the end. Two questions:
 * 1. sequential latency (1 in flight): coalescing must not cost latency (goal p50 ≤ 1.0× raw);
 * 2. throughput with 1000 in flight: what coalescing and the one reply subject buy (raw request ~57k/s here).
 * Bounded: ~17 s in total.
 */
import { NatsTransport, type NodeProcess, startNatsServer, startNodeProcess } from '@lucent/node/internal';
import { connect, type NatsConnection } from 'nats';
import { type Call, percentile, pipelined, sequentialLatencies } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const RAW_SUBJECT = 'bench.transport.raw';
const LUCENT_SUBJECT = 'lucent.bench.node.responder';
const PAYLOAD = new Uint8Array(100).fill(7);
const TIMEOUT_MS = 10_000;
const SEQUENTIAL_ROUNDS = 5;
const SEQUENTIAL_PER_ROUND = 400;
const IN_FLIGHT = 1000;
const THROUGHPUT_MS = 1_500;
const THROUGHPUT_REPS = 3;
const WARMUP_MS = 1_000;

export const scenario: Scenario = {
  name: 'node/transport',
  suite: 'node',
  async run() {
    const server = await startNatsServer({ jetstream: false });
    let responder: NodeProcess | undefined;
    let nc: NatsConnection | undefined;
    let transport: NatsTransport | undefined;
    try {
      responder = startNodeProcess({
        script: new URL('../processes/transport-responder.js', import.meta.url).pathname,
        args: [server.url, RAW_SUBJECT, LUCENT_SUBJECT],
        stderr: 'inherit',
      });
      await responder.waitForOutput('ready', 10_000);
      nc = await connect({ servers: server.url, noAsyncTraces: true });
      transport = await NatsTransport.connect({ servers: server.url, name: 'bench-client' });
      const rawNc = nc;
      const lucent = transport;
      const raw: Call = () => rawNc.request(RAW_SUBJECT, PAYLOAD, { timeout: TIMEOUT_MS });
      const ours: Call = () => lucent.request(LUCENT_SUBJECT, PAYLOAD, TIMEOUT_MS);

      // Warm-up (JIT, connections, server routes) for both paths.
      await sequentialLatencies(raw, 300, []);
      await sequentialLatencies(ours, 300, []);
      // Pipelined throughput keeps climbing for ~1 s of JIT warm-up, so warm both paths that long.
      await pipelined(raw, IN_FLIGHT, WARMUP_MS);
      await pipelined(ours, IN_FLIGHT, WARMUP_MS);

      // Alternate rounds so both sides see the same machine noise.
      const rawLat: number[] = [];
      const ourLat: number[] = [];
      for (let r = 0; r < SEQUENTIAL_ROUNDS; r++) {
        await sequentialLatencies(raw, SEQUENTIAL_PER_ROUND, rawLat);
        await sequentialLatencies(ours, SEQUENTIAL_PER_ROUND, ourLat);
      }
      rawLat.sort((a, b) => a - b);
      ourLat.sort((a, b) => a - b);

      const rawRates: number[] = [];
      const ourRates: number[] = [];
      for (let r = 0; r < THROUGHPUT_REPS; r++) {
        rawRates.push(await pipelined(raw, IN_FLIGHT, THROUGHPUT_MS));
        ourRates.push(await pipelined(ours, IN_FLIGHT, THROUGHPUT_MS));
      }
      const stats = lucent.stats;

      const measurements: Measurement[] = [
        { name: 'raw nc.request p50', value: percentile(rawLat, 0.5), unit: 'µs', samples: rawLat.length },
        { name: 'lucent request p50', value: percentile(ourLat, 0.5), unit: 'µs', samples: ourLat.length },
        { name: 'raw nc.request p99', value: percentile(rawLat, 0.99), unit: 'µs', samples: rawLat.length },
        { name: 'lucent request p99', value: percentile(ourLat, 0.99), unit: 'µs', samples: ourLat.length },
        { name: `raw nc.request, ${IN_FLIGHT} in flight`, value: median(rawRates), unit: 'calls/s' },
        { name: `lucent request, ${IN_FLIGHT} in flight`, value: median(ourRates), unit: 'calls/s' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'sequential p50, Lucent / raw',
            of: 'lucent request p50',
            to: 'raw nc.request p50',
            goal: { op: '<=', value: 1.0 },
          },
          {
            name: `throughput at ${IN_FLIGHT} in flight, Lucent / raw`,
            of: `lucent request, ${IN_FLIGHT} in flight`,
            to: `raw nc.request, ${IN_FLIGHT} in flight`,
            goal: { op: '>=', value: 10 },
          },
        ],
        targets: [
          {
            name: 'transport alone vs the end-to-end 300k calls/s goal',
            measurement: `lucent request, ${IN_FLIGHT} in flight`,
            op: '>=',
            value: 300_000,
          },
        ],
        notes: [
          `${PAYLOAD.byteLength} B payload echoed by a responder process; nats-server ${server.url} started by the harness.`,
          `Throughput: median of ${THROUGHPUT_REPS} × ${THROUGHPUT_MS} ms; raw = nc.request() with noAsyncTraces.`,
          `Lucent frames per NATS message over the run: ${(stats.framesOut / Math.max(1, stats.messagesOut)).toFixed(1)} out.`,
          'The ≥10× and 300k goals are the node issue’s end-to-end goals; this is the transport alone (no codec, no pool).',
        ],
      };
    } finally {
      await transport?.close();
      await nc?.close();
      await responder?.stop(3_000);
      await server.stop();
    }
  },
};
