/**
 * The gRPC gateway end to end (issue 14): real nats-server with JetStream, real `lucent-node` processes, and a
 * grpc-js client loaded from the proto files the package ships. Calls, actor asks and tells, emit and the
 * `Completed` event through Subscribe, deadlines, errors with their `lucent-code`, bearer tokens, size limit,
 * reflection; then health across the node's life (before its join, NATS lost) on a TLS + mTLS listener.
 */
import * as grpc from '@grpc/grpc-js';
import { Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';
import { GatewayClient, jsonEvent } from './grpc-test-client.js';
import { createTestCa, type TestCa } from './test-ca.js';

const MODULES = ['--functions', fixture('gateway-functions.mjs'), '--actors', fixture('shard-actors.mjs')];
const TOKEN = 'good-token';
const processes = new NodeProcesses();

/** The port `node` logged for its gRPC listener. */
async function grpcPortOf(node: NodeProcess): Promise<number> {
  const line = await node.waitForLog('gateway.grpc_listening', 30_000);
  return line.port as number;
}

/** Polls `read` (bounded) until it returns `expected`; returns the last value read. */
async function until<T>(read: () => Promise<T>, expected: T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

const decodeJson = (data: unknown) => JSON.parse(Buffer.from(data as Uint8Array).toString('utf8')) as unknown;

describe('gRPC gateway on a two-node cluster', () => {
  let server: NatsServerHandle;
  let gatewayNode: NodeProcess;
  let client: GatewayClient;
  const options = { cluster: 'grpc', natsUrl: '', heartbeatMs: 200 };

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: true });
    const cluster = { ...options, natsUrl: server.url };
    gatewayNode = processes.start({
      args: clusterNodeArgs('g1', cluster, [...MODULES, '--threads', '1', '--grpc-port', '0']),
      env: { LUCENT_GATEWAY_TOKENS: TOKEN },
    });
    const other = processes.start({ args: clusterNodeArgs('g2', cluster, [...MODULES, '--threads', '1']) });
    const port = await grpcPortOf(gatewayNode);
    await Promise.all([gatewayNode.waitForLog('node.ready', 30_000), other.waitForLog('node.ready', 30_000)]);
    client = new GatewayClient(`127.0.0.1:${port}`);
    // The gateway routes with g1's view: let it see both nodes first, so actors do not move mid-test.
    const { httpPort } = await gatewayNode.waitForLog('node.ready');
    const members = async () => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      return /^lucent_cluster_members\{[^}]*\} (\d+)/m.exec(text)?.[1];
    };
    expect(await until(members, '2')).toBe('2');
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await processes.killAll();
    await server?.stop();
  });

  it('calls a function with JSON, answers in JSON; msgpack in, and `accept` picks the answer type', async () => {
    const json = await client.unary(
      'ExecuteFunction',
      { name: 'quote', event: jsonEvent('Quote', { symbol: 'ACME', qty: 3 }) },
      { token: TOKEN },
    );
    expect(json.ok).toBe(true);
    if (!json.ok) return;
    expect(json.response.result).toBe('data');
    expect(json.response.datacontenttype).toBe('application/json');
    expect(decodeJson(json.response.data)).toEqual({ symbol: 'ACME', total: 30 });

    const packed = new Unpackr({ useRecords: false });
    const msgpackEvent = {
      ...jsonEvent('Quote', null, { datacontenttype: 'application/msgpack' }),
      binaryData: Buffer.from([0x82, 0xa6, ...Buffer.from('symbol'), 0xa1, 0x5a, 0xa3, ...Buffer.from('qty'), 0x02]),
    };
    const asMsgpack = await client.unary('ExecuteFunction', { name: 'quote', event: msgpackEvent }, { token: TOKEN });
    expect(asMsgpack.ok && asMsgpack.response.datacontenttype).toBe('application/msgpack');
    if (asMsgpack.ok) expect(packed.unpack(asMsgpack.response.data as Buffer)).toEqual({ symbol: 'Z', total: 20 });

    const wantsJson = {
      ...msgpackEvent,
      attributes: { ...msgpackEvent.attributes, accept: { ceString: 'application/json' } },
    };
    const back = await client.unary('ExecuteFunction', { name: 'quote', event: wantsJson }, { token: TOKEN });
    expect(back.ok && decodeJson(back.response.data)).toEqual({ symbol: 'Z', total: 20 });
  });

  it('answers a failing function in `error`, an unknown one NOT_FOUND and bad data INVALID_ARGUMENT, each with its lucent-code', async () => {
    const failed = await client.unary(
      'ExecuteFunction',
      { name: 'refuse', event: jsonEvent('Quote', { symbol: 'X' }) },
      { token: TOKEN },
    );
    expect(failed).toMatchObject({ ok: true, lucentCode: 'LUCENT_HANDLER' });
    if (failed.ok) {
      expect(failed.response.result).toBe('error');
      expect(failed.response.error).toContain('cannot price X');
    }
    const unknown = await client.unary(
      'ExecuteFunction',
      { name: 'nope', event: jsonEvent('Quote', 1) },
      { token: TOKEN },
    );
    expect(unknown).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND, lucentCode: 'LUCENT_UNKNOWN_FUNCTION' });
    const garbled = { ...jsonEvent('Quote', 1), binaryData: Buffer.from('{"symbol":') };
    const bad = await client.unary('ExecuteFunction', { name: 'quote', event: garbled }, { token: TOKEN });
    expect(bad).toMatchObject({
      ok: false,
      code: grpc.status.INVALID_ARGUMENT,
      lucentCode: 'LUCENT_INVALID_CLOUD_EVENT',
    });
  });

  it('asks and tells actors wherever the cluster places them', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) {
      // The data has no `type`: the CloudEvent's type (`inc`) is the message type.
      const told = await client.unary(
        'Tell',
        { type: 'counter', id, event: jsonEvent('inc', { by: 5 }) },
        { token: TOKEN },
      );
      expect(told.ok).toBe(true);
    }
    for (const id of ids) {
      // A tell and a later ask from the same sender arrive in order: the ask sees the tell.
      const asked = await client.unary(
        'Ask',
        { type: 'counter', id, event: jsonEvent('inc', { by: 2 }) },
        { token: TOKEN },
      );
      expect(asked.ok && decodeJson(asked.response.data)).toEqual({ count: 7 });
    }
    const unknownType = await client.unary(
      'Ask',
      { type: 'nobody', id: 'x', event: jsonEvent('inc', {}) },
      { token: TOKEN },
    );
    expect(unknownType).toMatchObject({
      ok: false,
      code: grpc.status.NOT_FOUND,
      lucentCode: 'LUCENT_UNKNOWN_ACTOR_TYPE',
    });
  });

  it('emits an event into the durable stream and streams its `tallyCompleted` through Subscribe', async () => {
    const stream = await client.subscribe({ types: ['tallyCompleted'] }, { token: TOKEN });
    const received: Record<string, unknown>[] = [];
    stream.on('data', (event: Record<string, unknown>) => received.push(event));
    stream.on('error', () => {});
    try {
      const event = jsonEvent('Tick', { n: 21 });
      const emitted = await client.unary<{ id: string }>('Emit', { event }, { token: TOKEN });
      expect(emitted.ok).toBe(true);
      if (!emitted.ok) return;
      // The same CloudEvent (id + source) again is the same Lucent event: stored once.
      const again = await client.unary<{ id: string }>('Emit', { event }, { token: TOKEN });
      expect(again.ok && again.response.id).toBe(emitted.response.id);
      const completedId = `${emitted.response.id}.tally`;
      const deadline = Date.now() + 30_000;
      while (!received.some((e) => e.id === completedId) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const completed = received.find((e) => e.id === completedId);
      expect(completed).toMatchObject({ type: 'tallyCompleted', specVersion: '1.0' });
      expect(completed?.source).toMatch(/^lucent:\/\/grpc\/g[12]$/);
      expect(decodeJson(completed?.binaryData)).toEqual({ doubled: 42 });
    } finally {
      stream.cancel();
    }
  });

  it('takes a dotted CloudEvent type through Emit and /events: handled, streamed back dotted, its Completed too', async () => {
    const types = ['com.example.order.created', 'shipCompleted'];
    const stream = await client.subscribe({ types }, { token: TOKEN });
    const received: Record<string, unknown>[] = [];
    stream.on('data', (event: Record<string, unknown>) => received.push(event));
    stream.on('error', () => {});
    try {
      const event = jsonEvent('com.example.order.created', { orderId: 'o-7' });
      const emitted = await client.unary<{ id: string }>('Emit', { event }, { token: TOKEN });
      expect(emitted.ok).toBe(true);
      const { httpPort } = await gatewayNode.waitForLog('node.ready');
      const posted = await fetch(`http://127.0.0.1:${httpPort}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'o-8',
          source: '/shop',
          type: types[0],
          data: { orderId: 'o-8' },
        }),
      });
      expect(posted.status).toBe(202);
      const deadline = Date.now() + 30_000;
      const shipped = () => received.filter((e) => e.type === 'shipCompleted');
      while (shipped().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(shipped().map((e) => decodeJson(e.binaryData))).toEqual(
        expect.arrayContaining([{ shipped: 'o-7' }, { shipped: 'o-8' }]),
      );
      // Both events stream out with the type they came in with.
      expect(received.filter((e) => e.type === types[0])).toHaveLength(2);
      // `__` stands for a dot: a CloudEvent type holding it would be another spelling of a dotted one.
      const reserved = await client.unary('Emit', { event: jsonEvent('com__example', 1) }, { token: TOKEN });
      expect(reserved).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
    } finally {
      stream.cancel();
    }
  });

  it('guards /events on the HTTP port with the same tokens: 401 before any work, counted with the gRPC refusals', async () => {
    const { httpPort } = await gatewayNode.waitForLog('node.ready');
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${httpPort}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', ...headers },
        body: JSON.stringify({ specversion: '1.0', id: 'auth-1', source: '/shop', type: 'Tick', data: { n: 1 } }),
      });
    const metric = async () => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      return Number(/^lucent_gateway_unauthenticated_total\{listener="http",node="g1"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await metric();
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer bad-token' })).status).toBe(401);
    expect(await metric()).toBe(before + 2);
    expect((await post({ authorization: `Bearer ${TOKEN}` })).status).toBe(202);
  });

  it('turns the gRPC deadline into the call deadline: a shorter one than the run gives DEADLINE_EXCEEDED', async () => {
    const late = await client.unary(
      'ExecuteFunction',
      { name: 'nap', event: jsonEvent('Nap', { ms: 3_000 }) },
      { token: TOKEN, deadlineMs: 300 },
    );
    expect(late).toMatchObject({ ok: false, code: grpc.status.DEADLINE_EXCEEDED });
    const inTime = await client.unary(
      'ExecuteFunction',
      { name: 'nap', event: jsonEvent('Nap', { ms: 10 }) },
      { token: TOKEN, deadlineMs: 10_000 },
    );
    expect(inTime.ok && decodeJson(inTime.response.data)).toBe('awake');
  });

  it('refuses a missing or wrong token with UNAUTHENTICATED before any work, and counts it; health needs none', async () => {
    const call = { name: 'quote', event: jsonEvent('Quote', { symbol: 'ACME', qty: 1 }) };
    expect(await client.unary('ExecuteFunction', call)).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
    expect(await client.unary('ExecuteFunction', call, { token: 'bad-token' })).toMatchObject({
      ok: false,
      code: grpc.status.UNAUTHENTICATED,
    });
    const subscribe = client.subscribe({ types: ['tallyCompleted'] }, { token: 'bad-token' });
    await expect(subscribe).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const ready = await gatewayNode.waitForLog('node.ready');
    const metrics = await (await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/lucent_gateway_unauthenticated_total\{listener="grpc",node="g1"\} 3\n/);
    expect(await client.check()).toBe('SERVING');
    expect(await client.check('lucent.v1.FunctionService')).toBe('SERVING');
  });

  it('refuses a request over the size limit with RESOURCE_EXHAUSTED', async () => {
    const event = { ...jsonEvent('Quote', null), binaryData: Buffer.alloc(2 * 1024 * 1024, 0x20) };
    const tooBig = await client.unary('ExecuteFunction', { name: 'quote', event }, { token: TOKEN });
    expect(tooBig).toMatchObject({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED });
    if (!tooBig.ok) expect(tooBig.details).toMatch(/larger than max/);
  });

  it('lists its services through server reflection (with a token: reflection is behind auth)', async () => {
    await expect(client.listServices()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const services = await client.listServices({ token: TOKEN });
    expect(services).toEqual(expect.arrayContaining(['lucent.v1.FunctionService', 'grpc.health.v1.Health']));
  });

  it('ends open Subscribe and health Watch streams when the node stops, and exits cleanly without waiting them out', async () => {
    const stream = await client.subscribe({ types: ['tallyCompleted'] }, { token: TOKEN });
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.on('data', () => {});
    const watch = client.watch();
    const statuses: string[] = [];
    watch.on('data', (update: { status: string }) => statuses.push(update.status));
    const watchEnded = new Promise<void>((resolve) => watch.on('error', () => resolve()));
    while (statuses.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const exit = await gatewayNode.stop(20_000);
    expect(exit).toEqual({ code: 0, signal: null });
    // The node's drain allows 10 s (--drain-timeout-ms); an open Watch must not hold the stop that long.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect((await ended).code).toBe(grpc.status.UNAVAILABLE);
    await watchEnded;
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });
});

describe('gRPC gateway health and TLS', () => {
  let server: NatsServerHandle;
  let ca: TestCa;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    ca = createTestCa();
    server = await startNatsServer({ jetstream: true });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await processes.killAll();
    await server?.stop();
    ca?.remove();
  });

  it('is NOT_SERVING before the join and after NATS is lost, SERVING in between; TLS with mTLS only', async () => {
    // NATS is down when the node starts: it listens for gRPC at once, but cannot join yet.
    await server.crash();
    const node = processes.start({
      args: [
        ...clusterNodeArgs('h1', { cluster: 'health', natsUrl: server.url, heartbeatMs: 200 }, MODULES),
        ...['--threads', '1', '--grpc-port', '0'],
        ...['--gateway-tls-cert', ca.serverCertFile, '--gateway-tls-key', ca.serverKeyFile],
        ...['--gateway-tls-client-ca', ca.caCertFile],
      ],
    });
    const address = `127.0.0.1:${await grpcPortOf(node)}`;
    // The certificate names 127.0.0.1 and localhost; TLS's server name is a host name (RFC 6066), not an IP.
    const tls = { 'grpc.ssl_target_name_override': 'localhost' };
    const mtls = new GatewayClient(address, grpc.credentials.createSsl(ca.caCert, ca.clientKey, ca.clientCert), tls);
    const plaintext = new GatewayClient(address);
    const noClientCert = new GatewayClient(address, grpc.credentials.createSsl(ca.caCert), tls);
    clients.push(mtls, plaintext, noClientCert);

    expect(await mtls.check()).toBe('NOT_SERVING');
    expect(await plaintext.check()).toBe('error UNAVAILABLE');
    expect(await noClientCert.check()).toBe('error UNAVAILABLE');
    const early = await mtls.unary('ExecuteFunction', {
      name: 'quote',
      event: jsonEvent('Quote', { symbol: 'A', qty: 1 }),
    });
    expect(early).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });

    await server.restart();
    await node.waitForLog('node.ready', 30_000);
    expect(await until(() => mtls.check(), 'SERVING')).toBe('SERVING');
    const call = await mtls.unary('ExecuteFunction', {
      name: 'quote',
      event: jsonEvent('Quote', { symbol: 'A', qty: 1 }),
    });
    expect(call.ok && decodeJson(call.response.data)).toEqual({ symbol: 'A', total: 10 });

    await server.crash();
    expect(await until(() => mtls.check(), 'NOT_SERVING')).toBe('NOT_SERVING');
    // Calls hear what health says, as the status gRPC clients retry on.
    const cut = await mtls.unary('ExecuteFunction', {
      name: 'quote',
      event: jsonEvent('Quote', { symbol: 'A', qty: 1 }),
    });
    expect(cut).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
  }, 90_000);
});
