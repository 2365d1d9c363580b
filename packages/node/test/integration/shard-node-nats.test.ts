/**
 * The built `lucent-node` CLI against a real nats-server (harness: free port, killed by pid): calls over NATS,
 * garbage on its subject, graceful shutdown with work in flight, and the second-signal exit.
 */
import {
  callEnvelope,
  EnvelopeCodec,
  EnvelopeKind,
  functionSubject,
  nodeSubject,
  type WireError,
} from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { fixture, httpStatus } from './cli-fixtures.js';

const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
let server: NatsServerHandle;
let raw: NatsConnection;
let client: NatsTransport;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  raw = await connect({ servers: server.url });
  client = await NatsTransport.connect({ servers: server.url, cluster: 'it' });
});

afterEach(async () => {
  await processes.killAll();
});

afterAll(async () => {
  await client?.close();
  await raw?.close();
  await server?.stop();
});

function startShard(shard: string) {
  return processes.start({
    args: [
      '--shard',
      shard,
      '--cluster',
      'it',
      '--nats',
      server.url,
      '--http-port',
      '0',
      '--threads',
      '1',
      '--drain-timeout-ms',
      '5000',
      '--functions',
      fixture('shard-functions.mjs'),
    ],
  });
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Polls /metrics (bounded) until the pool runs a task: the request has reached the node. */
async function untilPoolBusy(port: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (/lucent_pool_tasks_in_flight\{node="\w+"\} [1-9]/.test(await metricsText(port))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the call never reached the pool');
}

describe('lucent-node on NATS', () => {
  it('serves calls over NATS, survives garbage on its subject, and exits 0 on SIGTERM', async () => {
    const cli = startShard('n1');
    const ready = await cli.waitForLog('node.ready');
    expect(ready).toMatchObject({ shard: 'n1', transport: 'nats', cluster: 'it' });
    const port = ready.httpPort as number;

    const call = callEnvelope('add', { a: 40, b: 2 }, { origin: 'test' });
    const answer = codec.decode(await client.request(nodeSubject('it', 'n1'), codec.encode(call), 5_000));
    expect(answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: 42, correlationId: call.id, origin: 'n1' });
    const queued = codec.decode(
      await client.request(functionSubject('it', 'add'), codec.encode(callEnvelope('add', { a: 1, b: 1 })), 5_000),
    );
    expect(queued.payload).toBe(2);

    // A garbage frame inside a valid transport message: answered with a typed decode error.
    const garbage = codec.decode(await client.request(nodeSubject('it', 'n1'), new Uint8Array([9, 9, 9]), 5_000));
    expect(garbage.kind).toBe(EnvelopeKind.Error);
    expect((garbage.payload as WireError).code).toBe('LUCENT_DECODE');
    // Raw bytes that are not even a transport message: dropped and counted, and the node keeps serving.
    raw.publish(nodeSubject('it', 'n1'), new Uint8Array([0xff, 0x00, 0x13]));
    await raw.flush();
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await metricsText(port);
      if (/lucent_errors_total\{code="LUCENT_DECODE",node="n1"\} 2/.test(text)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toMatch(/lucent_errors_total\{code="LUCENT_DECODE",node="n1"\} 2/);
    expect(text).toContain('lucent_calls_total{function="add",outcome="ok",node="n1"} 2');
    expect(await httpStatus(port, '/healthz')).toBe(200);
    expect(await httpStatus(port, '/readyz')).toBe(200);

    cli.signal('SIGTERM');
    expect(await cli.exit(10_000)).toEqual({ code: 0, signal: null });
  });

  it('answers a call in flight before exiting on SIGTERM', async () => {
    const cli = startShard('n2');
    const ready = await cli.waitForLog('node.ready');
    const pending = client.request(
      nodeSubject('it', 'n2'),
      codec.encode(callEnvelope('sleepy', { ms: 500, value: 'done' })),
      10_000,
    );
    await untilPoolBusy(ready.httpPort as number);
    cli.signal('SIGTERM');
    expect(codec.decode(await pending).payload).toBe('done');
    expect((await cli.exit(10_000)).code).toBe(0);
  });

  it('exits 130 at once on a second signal during a slow shutdown', async () => {
    const cli = startShard('n3');
    const ready = await cli.waitForLog('node.ready');
    void client
      .request(nodeSubject('it', 'n3'), codec.encode(callEnvelope('sleepy', { ms: 4_000, value: 'x' })), 10_000)
      .catch(() => undefined);
    await untilPoolBusy(ready.httpPort as number);
    cli.signal('SIGTERM');
    await cli.waitForLog('node.stopping');
    const started = Date.now();
    cli.signal('SIGTERM');
    expect((await cli.exit(3_000)).code).toBe(130);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(cli.lines.map((l) => l.msg)).not.toContain('node.stopped');
  });
});
