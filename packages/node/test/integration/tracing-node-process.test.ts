/**
 * Tracing across processes: a client in this process (with an in-memory OpenTelemetry SDK) calls and emits to a
 * real `lucent-node` process (no SDK: it carries the caller's trace on) on a real nats-server. The client span's
 * trace id must appear in the node's JSON log line for the request and in the traceparent of the `Completed`
 * event its handler run published, read by a plain subscriber.
 */
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { trace } from '@opentelemetry/api';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectClient, type LucentClient } from '../../src/client/lucent-client.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { InMemoryTracing } from '../in-memory-tracing.js';

const FUNCTIONS = new URL('../fixtures/tracing-functions.mjs', import.meta.url).pathname;
const CLUSTER = `traced${process.pid}`;
const codec = new EnvelopeCodec();
const tracing = new InMemoryTracing();
const testTracer = trace.getTracer('test');
const processes = new NodeProcesses();
let server: NatsServerHandle;
let raw: NatsConnection;
let node: NodeProcess;
let client: LucentClient;

beforeAll(async () => {
  tracing.register();
  server = await startNatsServer({ jetstream: true });
  raw = await connect({ servers: server.url });
  node = processes.start({
    args: ['--shard', 'traced-node', '--cluster', CLUSTER, '--nats', server.url, '--http-port', '0'].concat([
      '--threads',
      '1',
      '--functions',
      FUNCTIONS,
      '--log-level',
      'debug',
    ]),
  });
  await node.waitForLog('node.ready', 60_000);
  client = await connectClient({ servers: server.url, cluster: CLUSTER, defaultTimeoutMs: 30_000 });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await processes.killAll();
  await raw?.close();
  await server?.stop();
  await tracing.unregister();
});

/** Resolves with the first node log line that `predicate` accepts, polling; rejects after `timeoutMs`. */
async function logLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = node.lines.find(predicate);
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no such log line in:\n${node.stdout.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('tracing across processes', () => {
  it("the client span's trace id is on the node's log line for the call", async () => {
    const traceId = await testTracer.startActiveSpan('test', async (span) => {
      expect(await client.call('echo', { n: 7 })).toEqual({ n: 7 });
      span.end();
      return span.spanContext().traceId;
    });
    const clientSpan = tracing.span('call echo');
    expect(clientSpan.spanContext().traceId).toBe(traceId);
    const served = await logLine((line) => line.msg === 'request.served' && line.target === 'echo');
    expect(served).toMatchObject({ level: 'debug', kind: 'call', code: '', trace_id: traceId, node: 'traced-node' });
    // A failed call's warn line carries it too.
    const failedTrace = await testTracer.startActiveSpan('failing', async (span) => {
      await expect(client.call('fails', {})).rejects.toMatchObject({ code: 'LUCENT_HANDLER' });
      span.end();
      return span.spanContext().traceId;
    });
    const failed = await logLine((line) => line.msg === 'call.failed' && line.function === 'fails');
    expect(failed).toMatchObject({ level: 'warn', trace_id: failedTrace });
  }, 60_000);

  it("the Completed event of the emitted event's handler run carries the emit's trace", async () => {
    const completed = new Promise<Envelope>((resolve) => {
      raw.subscribe(eventSubject(CLUSTER, 'auditCompleted'), {
        callback: (_error, msg) => {
          const [event] = decodeEventMessage(msg.data, codec);
          if (event !== undefined) resolve(event);
        },
      });
    });
    await raw.flush();
    const traceId = await testTracer.startActiveSpan('test', async (span) => {
      await client.emit('OrderPlaced', { sku: 'sku-traced', qty: 1 });
      span.end();
      return span.spanContext().traceId;
    });
    const event = await completed;
    expect(event.payload).toEqual({ audited: 'sku-traced' });
    const [version, eventTraceId, spanId, flags] = event.traceparent.split('-');
    expect([version, eventTraceId, flags]).toEqual(['00', traceId, '01']);
    // The node's run span (no SDK there: the emit's span id passed on) is the parent the handler saw.
    expect(spanId).toBe(tracing.span('emit OrderPlaced').spanContext().spanId);
  }, 60_000);
});
