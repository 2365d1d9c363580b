/**
 * CloudEvents over HTTP against a real nats-server (JetStream) and real `lucent-node` processes: binary, structured
 * and batch events posted with `fetch` are stored and handled exactly as `client.emit` would; a malformed one gets
 * 400 and nothing is stored; the same id + source twice is stored and handled once; a wrong token gets 401 (and is
 * counted); the own listener serves TLS and mTLS with a CA made here; a lost NATS answers 503 with Retry-After; a
 * webhook sink receives `Completed` as a CloudEvent, also after failing twice.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, DiscardPolicy, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectClient } from '../../src/client/lucent-client.js';
import { eventStreamName } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { cloudEventDedupId } from '../../src/gateway/lucent-cloud-event.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const FUNCTIONS = `${fixture('event-functions.mjs')},${fixture('order-events.mjs')}`;
const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
let server: NatsServerHandle;
let raw: NatsConnection;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  raw = await connect({ servers: server.url });
});

afterEach(async () => {
  await processes.killAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await raw?.close();
  await server?.stop();
});

/** Each test starts a node (and waits for handlers and webhooks): generous on a loaded 2-core machine. */
const SLOW = { timeout: 60_000 };

let clusterSeq = 0;
const nextCluster = () => `ce${++clusterSeq}${process.pid}`;

interface StartedNode {
  readonly cli: NodeProcess;
  readonly httpPort: number;
  readonly cluster: string;
}

async function startNode(
  options: { natsUrl?: string; args?: readonly string[]; env?: Record<string, string> } = {},
): Promise<StartedNode> {
  const cluster = nextCluster();
  const cli = processes.start({
    args: [
      ...['--shard', 'ce-node', '--cluster', cluster, '--nats', options.natsUrl ?? server.url],
      ...['--http-port', '0', '--threads', '1', '--functions', FUNCTIONS, ...(options.args ?? [])],
    ],
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const ready = await cli.waitForLog('node.ready', 25_000);
  return { cli, httpPort: ready.httpPort as number, cluster };
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function post(port: number, headers: Record<string, string>, body: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', headers, body });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : { text } };
}

/** Every stored event of `type` in the cluster's stream, decoded. */
async function storedEvents(cluster: string, type: string): Promise<Envelope[]> {
  const jsm = await raw.jetstreamManager();
  const stream = eventStreamName(cluster);
  const info = await jsm.streams.info(stream);
  const out: Envelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (msg?.subject === eventSubject(cluster, type)) out.push(...decodeEventMessage(msg.data, codec));
  }
  return out;
}

async function streamMessages(cluster: string): Promise<number> {
  const jsm = await raw.jetstreamManager();
  return (await jsm.streams.info(eventStreamName(cluster))).state.messages;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `Completed` event of handler `fn` for the event with dedup id `id`, once stored. */
function completedOf(cluster: string, fn: string, id: string): Promise<Envelope> {
  return until(`${fn}Completed of ${id}`, async () =>
    (await storedEvents(cluster, `${fn}Completed`)).find((event) => event.id === `${id}.${fn}`),
  );
}

const binary = (id: string, n: number) => ({
  headers: {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/test/binary',
    'ce-type': 'Tick',
  },
  body: JSON.stringify({ n }),
});

describe('POST /events on the HTTP port', SLOW, () => {
  it('binary, structured and batch events are stored and handled exactly as client.emit would', async () => {
    const node = await startNode();
    const one = binary('b-1', 1);
    const answer = await post(node.httpPort, one.headers, one.body);
    expect(answer.status).toBe(202);
    const binaryId = cloudEventDedupId('/test/binary', 'b-1');
    expect(answer.body).toEqual({ accepted: 1, ids: [binaryId] });

    const structured = { specversion: '1.0', id: 's-1', source: '/test/structured', type: 'Tick', data: { n: 2 } };
    const second = await post(
      node.httpPort,
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify(structured),
    );
    expect(second.status).toBe(202);
    const batch = [3, 4].map((n) => ({
      specversion: '1.0',
      id: `t-${n}`,
      source: '/test/batch',
      type: 'Tick',
      data: { n },
    }));
    const third = await post(
      node.httpPort,
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify(batch),
    );
    expect(third).toMatchObject({ status: 202, body: { accepted: 2 } });

    // The handler ran for each: its Completed events carry what it returned (input.n).
    const ids = [binaryId, cloudEventDedupId('/test/structured', 's-1'), ...(third.body.ids as string[])];
    const results = await Promise.all(ids.map((id) => completedOf(node.cluster, 'tally', id)));
    expect(results.map((event) => event.payload)).toEqual([1, 2, 3, 4]);

    // Stored like an emit: same subject, same message, same dedup id (an emit with that id is a duplicate).
    const stored = await storedEvents(node.cluster, 'Tick');
    expect(stored.find((event) => event.id === binaryId)).toMatchObject({ target: 'Tick', payload: { n: 1 } });
    const client = await connectClient({ servers: server.url, cluster: node.cluster });
    cleanups.push(() => client.close());
    const before = await streamMessages(node.cluster);
    await client.emit('Tick', { n: 1 }, { id: binaryId });
    expect(await streamMessages(node.cluster)).toBe(before);
  });

  it('a malformed event gets 400 with the reason and nothing is stored', async () => {
    const node = await startNode();
    const before = await streamMessages(node.cluster);
    const { 'ce-source': _source, ...noSource } = binary('m-1', 1).headers;
    const missing = await post(node.httpPort, noSource, '{"n":1}');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'LUCENT_INVALID_CLOUD_EVENT' } });
    expect(String((missing.body.error as { message: string }).message)).toMatch(/source/);
    const notJson = await post(node.httpPort, { 'content-type': 'application/cloudevents+json' }, '{"id":');
    expect(notJson.status).toBe(400);
    // One bad element refuses the whole batch: its good first element is not stored either.
    const batch = [
      { specversion: '1.0', id: 'ok', source: '/b', type: 'Tick', data: { n: 1 } },
      { specversion: '1.0', id: 'bad', source: '/b', type: 'com..example' },
    ];
    const mixed = await post(
      node.httpPort,
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify(batch),
    );
    expect(mixed.status).toBe(400);
    expect((mixed.body.error as { message: string }).message).toMatch(/batch element 1/);
    expect(await streamMessages(node.cluster)).toBe(before);
  });

  it('the same id and source posted twice is stored and handled once', async () => {
    const node = await startNode();
    const event = binary('twice', 7);
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(202);
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(202);
    const id = cloudEventDedupId('/test/binary', 'twice');
    await completedOf(node.cluster, 'tally', id);
    expect((await storedEvents(node.cluster, 'Tick')).filter((stored) => stored.id === id)).toHaveLength(1);
    // The same id from another source is another event.
    const other = { ...event.headers, 'ce-source': '/test/other' };
    expect((await post(node.httpPort, other, event.body)).status).toBe(202);
    await completedOf(node.cluster, 'tally', cloudEventDedupId('/test/other', 'twice'));
    expect((await storedEvents(node.cluster, 'Tick')).length).toBe(2);
    expect(await storedEvents(node.cluster, 'tallyCompleted')).toHaveLength(2);
  });

  it('with tokens configured, a missing or wrong bearer token gets 401 and is counted; the right one is accepted', async () => {
    const node = await startNode({ env: { LUCENT_GATEWAY_TOKENS: 'right-token' } });
    const event = binary('auth-1', 1);
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(401);
    const wrong = await post(node.httpPort, { ...event.headers, authorization: 'Bearer wrong' }, event.body);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect(await streamMessages(node.cluster)).toBe(0);
    const right = await post(node.httpPort, { ...event.headers, authorization: 'Bearer right-token' }, event.body);
    expect(right.status).toBe(202);
    const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^lucent_gateway_unauthenticated_total\{listener="http",node="ce-node"\} 2$/m);
    expect(metrics).toMatch(/^lucent_cloudevents_requests_total\{status="202",node="ce-node"\} 1$/m);
  });

  it('a body over the limit gets 413 without being stored', async () => {
    const node = await startNode();
    const event = binary('big', 1);
    const big = JSON.stringify({ n: 1, pad: 'x'.repeat(1024 * 1024 + 10) });
    const answer = await post(node.httpPort, event.headers, big);
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'LUCENT_REQUEST_TOO_LARGE' } } });
    expect(await streamMessages(node.cluster)).toBe(0);
  });
});

describe('POST /events on --events-port with TLS', SLOW, () => {
  let dir: string;
  const pem = (name: string) => readFileSync(join(dir, name));

  beforeAll(() => {
    // A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it (EC keys: fast).
    dir = mkdtempSync(join(tmpdir(), 'lucent-ce-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=lucent-test-ca', '-days', '1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const who of ['server', 'client']) {
      run('req', ...key, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
      run(
        ...['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
        ...['-out', `${who}.pem`, '-days', '1', ...(who === 'server' ? ['-extfile', 'san.ext'] : [])],
      );
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function httpsPost(
    port: number,
    tls: { cert?: Buffer; key?: Buffer },
    headers: Record<string, string>,
    body: string,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/events', method: 'POST', headers, ca: pem('ca.pem'), ...tls },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  it('serves TLS with mTLS: a client certificate of the CA is accepted, none fails, plaintext fails', async () => {
    const port = await freePort();
    const node = await startNode({
      args: [
        ...['--events-port', String(port), '--gateway-tls-cert', join(dir, 'server.pem')],
        ...['--gateway-tls-key', join(dir, 'server.key'), '--gateway-tls-client-ca', join(dir, 'ca.pem')],
      ],
    });
    const ready = await node.cli.waitForLog('cloudevents.ready');
    expect(ready).toMatchObject({ eventsPort: port, tls: true });
    const event = binary('tls-1', 11);
    const client = { cert: pem('client.pem'), key: pem('client.key') };
    expect(await httpsPost(port, client, event.headers, event.body)).toBe(202);
    await completedOf(node.cluster, 'tally', cloudEventDedupId('/test/binary', 'tls-1'));
    // Without a client certificate the handshake (or the first read) fails.
    await expect(httpsPost(port, {}, event.headers, event.body)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', body: '{}' })).rejects.toThrow();
    // The node's HTTP port no longer serves /events.
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(404);
  });
});

describe('NATS outage', SLOW, () => {
  it('answers 503 with Retry-After while NATS is down', async () => {
    const own = await startNatsServer({ jetstream: true });
    cleanups.push(() => own.stop());
    const node = await startNode({ natsUrl: own.url });
    const event = binary('outage-1', 1);
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(202);
    await own.crash();
    const refused = await until('a 503', async () => {
      const answer = await post(node.httpPort, binary('outage-2', 2).headers, event.body);
      return answer.status === 503 ? answer : undefined;
    });
    expect(refused.headers.get('retry-after')).toBe('2');
    // Which error says it depends on whether the client saw the disconnect before the publish timed out.
    expect(['LUCENT_NODE_UNAVAILABLE', 'LUCENT_TIMEOUT']).toContain(
      (refused.body as { error: { code: string } }).error.code,
    );
  });
});

describe('full stream', SLOW, () => {
  it('answers 503 with Retry-After when the stream refuses the write', async () => {
    const node = await startNode();
    // A stream that takes one message and refuses new ones past it (discard new).
    const jsm = await raw.jetstreamManager();
    const stream = eventStreamName(node.cluster);
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...config, max_msgs: 1, discard: DiscardPolicy.New });
    expect((await post(node.httpPort, binary('full-1', 1).headers, '{"n":1}')).status).toBe(202);
    const refused = await post(node.httpPort, binary('full-2', 2).headers, '{"n":2}');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await streamMessages(node.cluster)).toBe(1);
  });
});

describe('webhook sink (--event-sink)', SLOW, () => {
  interface Received {
    readonly contentType: string;
    readonly event: Record<string, unknown>;
  }

  /** A webhook that answers 503 to its first `failFirst` requests, then 200; records every request. */
  async function startWebhook(failFirst: number): Promise<{ url: string; received: Received[]; server: Server }> {
    const received: Received[] = [];
    let seen = 0;
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          contentType: String(req.headers['content-type']),
          event: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        seen++;
        res.statusCode = seen <= failFirst ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => hook.close(resolve)));
    const port = (hook.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}/hook`, received, server: hook };
  }

  it('POSTs the Completed event as a structured CloudEvent', async () => {
    const hook = await startWebhook(0);
    const node = await startNode({ args: ['--event-sink', `tally*=${hook.url}`] });
    const event = binary('sink-1', 21);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect((await post(node.httpPort, { ...event.headers, 'ce-traceparent': traceparent }, event.body)).status).toBe(
      202,
    );
    const id = `${cloudEventDedupId('/test/binary', 'sink-1')}.tally`;
    const got = await until('the webhook call', async () => hook.received.find((r) => r.event.id === id));
    expect(got.contentType).toMatch(/^application\/cloudevents\+json/);
    expect(got.event).toMatchObject({
      specversion: '1.0',
      type: 'tallyCompleted',
      source: `lucent://${node.cluster}/ce-node`,
      datacontenttype: 'application/json',
      data: 21,
      // The trace goes through: the posted event's traceparent, the handler's run, its Completed, the webhook.
      traceparent,
    });
    // The pattern is a prefix of the type: the Tick event itself was not sent.
    expect(hook.received.every((r) => r.event.type === 'tallyCompleted')).toBe(true);
  });

  it('a webhook that fails twice still gets the event (at least once, retried with backoff)', async () => {
    const hook = await startWebhook(2);
    const node = await startNode({ args: ['--event-sink', `tallyCompleted=${hook.url}`] });
    const event = binary('sink-2', 22);
    expect((await post(node.httpPort, event.headers, event.body)).status).toBe(202);
    const id = `${cloudEventDedupId('/test/binary', 'sink-2')}.tally`;
    await until('three webhook calls', async () => (hook.received.length >= 3 ? true : undefined));
    expect(hook.received.slice(0, 3).map((r) => [r.event.id, r.event.data])).toEqual([
      [id, 22],
      [id, 22],
      [id, 22],
    ]);
    const metrics = await until('the delivered counter', async () => {
      const text = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
      return /lucent_event_sink_deliveries_total\{sink="[^"]+",outcome="delivered"[^}]*\} 1$/m.test(text)
        ? text
        : undefined;
    });
    expect(metrics).toMatch(/lucent_event_sink_deliveries_total\{sink="[^"]+",outcome="retried"[^}]*\} 2$/m);
  });
});

describe('README "CloudEvents"', SLOW, () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf('## CloudEvents');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('the handler is the fixture, and both curl commands, run as written, get 202 and run it', async () => {
    const handler = /```js\n\/\/ orders\.js\n([\s\S]*?)```/.exec(section)?.[1];
    const fixtureText = readFileSync(fixture('order-events.mjs'), 'utf8');
    expect(fixtureText.slice(fixtureText.indexOf('\n') + 1)).toBe(handler);
    const shell = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = shell
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .filter((line) => line.startsWith('curl '));
    expect(commands).toHaveLength(2);
    const node = await startNode();
    for (const command of commands) {
      const local = command.replace('http://localhost:8080', `http://127.0.0.1:${node.httpPort}`);
      const { stdout } = await promisify(execFile)('sh', ['-c', local]);
      expect(stdout).toMatch(/^HTTP\/1\.1 202 Accepted/);
    }
    const shipped = await until('two shipOrderCompleted', async () => {
      const done = await storedEvents(node.cluster, 'shipOrderCompleted');
      return done.length === 2 ? done : undefined;
    });
    expect(shipped.map((event) => event.payload)).toEqual(
      expect.arrayContaining([{ shipped: 'ord-1' }, { shipped: 'ord-2' }]),
    );
  });
});
