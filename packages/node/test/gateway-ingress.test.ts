/**
 * `POST /events` mounted on a `NodeHttpServer` with an emitter twin that records what it stored and fails on
 * demand: the answer per case (202, 400, 401, 405, 413, 503 with Retry-After) and that nothing is stored when the
 * request is refused. The real event stream is in `integration/cloudevents-http.test.ts`.
 */
import { IncomingMessage, request, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { EncodeError, NodeUnavailableError, TimeoutError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { BearerTokens } from '../src/gateway/bearer-tokens.js';
import { CloudEventsIngress, EVENTS_PATH } from '../src/gateway/cloud-events-ingress.js';
import { CloudEventsMetrics } from '../src/gateway/cloud-events-metrics.js';
import { isLoopbackAddress } from '../src/gateway/loopback-address.js';
import type { LucentEventFromCloudEvent } from '../src/gateway/lucent-cloud-event.js';
import { NodeHttpServer } from '../src/http/node-http-server.js';

/** The emitter twin: stores events in order; `failWith` makes the next emits reject. */
class RecordingEmitter {
  readonly stored: LucentEventFromCloudEvent[] = [];
  failWith: Error | undefined = undefined;
  readonly emit = async (event: LucentEventFromCloudEvent): Promise<void> => {
    if (this.failWith !== undefined) throw this.failWith;
    this.stored.push(event);
  };
}

let server: NodeHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(
  options: { tokens?: string[]; connected?: () => boolean; maxBodyBytes?: number; localOnly?: boolean } = {},
) {
  const emitter = new RecordingEmitter();
  const metrics = new CloudEventsMetrics(undefined);
  const ingress = new CloudEventsIngress({
    tokens: new BearerTokens(options.tokens ?? []),
    emit: emitter.emit,
    isConnected: options.connected ?? (() => true),
    metrics,
    ...(options.localOnly === undefined ? {} : { localOnly: options.localOnly }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
  });
  const http = await NodeHttpServer.start({
    port: 0,
    host: '127.0.0.1',
    source: { isReady: () => true, metricsText: async () => '', metricsContentType: 'text/plain' },
  });
  http.mount(EVENTS_PATH, ingress.handle);
  server = http;
  return { emitter, ingress, metrics, url: `http://127.0.0.1:${http.port}${EVENTS_PATH}` };
}

const event = {
  headers: {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': 'e-1',
    'ce-source': '/unit',
    'ce-type': 'Tick',
  },
  body: '{"n":1}',
};

async function post(url: string, headers: Record<string, string>, body: string, method = 'POST') {
  const response = await fetch(url, { method, headers, ...(method === 'POST' ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.startsWith('{') ? JSON.parse(text) : text };
}

describe('POST /events', () => {
  it('stores a valid event and answers 202 with its id', async () => {
    const { emitter, url } = await serve();
    const answer = await post(url, event.headers, event.body);
    expect(answer.status).toBe(202);
    expect(emitter.stored).toEqual([{ type: 'Tick', data: { n: 1 }, id: answer.json.ids[0] }]);
  });

  it('answers 405 to other methods, 400 to a malformed event, storing nothing', async () => {
    const { emitter, url } = await serve();
    expect((await post(url, {}, '', 'GET')).status).toBe(405);
    const bad = await post(url, { ...event.headers, 'ce-type': '' }, event.body);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('LUCENT_INVALID_CLOUD_EVENT');
    expect(emitter.stored).toEqual([]);
  });

  it('local only: serves loopback clients, refuses others 403 before reading anything, counted', async () => {
    const { emitter, ingress, metrics, url } = await serve({ localOnly: true });
    expect((await post(url, event.headers, event.body)).status).toBe(202); // fetch comes from 127.0.0.1
    // A request whose peer is not loopback (an unconnected socket has no remote address).
    const req = new IncomingMessage(new Socket());
    req.method = 'POST';
    const res = new ServerResponse(req);
    ingress.handle(req, res);
    expect(res.statusCode).toBe(403);
    expect(emitter.stored).toHaveLength(1);
    expect(metrics.unauthenticated.value).toBe(1);
  });

  it('knows loopback peers, IPv4-mapped ones included', () => {
    for (const local of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(local)).toBe(true);
    for (const remote of ['10.0.0.5', '::ffff:10.0.0.5', 'fe80::1', '1270::1', undefined]) {
      expect(isLoopbackAddress(remote)).toBe(false);
    }
  });

  it('checks the bearer token first, and counts refusals', async () => {
    const { emitter, metrics, url } = await serve({ tokens: ['t0k'] });
    expect((await post(url, event.headers, event.body)).status).toBe(401);
    expect((await post(url, { ...event.headers, authorization: 'Bearer nope' }, 'not even a CloudEvent')).status).toBe(
      401,
    );
    expect(metrics.unauthenticated.value).toBe(2);
    expect((await post(url, { ...event.headers, authorization: 'Bearer t0k' }, event.body)).status).toBe(202);
    expect(emitter.stored).toHaveLength(1);
  });

  it('answers 413 to a declared or a streamed body over the limit', async () => {
    const { emitter, url } = await serve({ maxBodyBytes: 64 });
    const big = JSON.stringify({ n: 1, pad: 'x'.repeat(100) });
    const declared = await post(url, event.headers, big);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('LUCENT_REQUEST_TOO_LARGE');
    // Chunked: no content-length, the limit is found while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: event.headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.write(big.slice(0, 50));
      req.end(big.slice(50));
    });
    expect(streamed).toBe(413);
    expect(emitter.stored).toEqual([]);
  });

  it('answers 503 with Retry-After while disconnected, when the log times out or is unavailable; 413 for too large', async () => {
    let connected = false;
    const { emitter, url } = await serve({ connected: () => connected });
    const down = await post(url, event.headers, event.body);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('2');
    connected = true;
    emitter.failWith = new TimeoutError({ target: 'JetStream publish', timeoutMs: 5000 });
    expect((await post(url, event.headers, event.body)).status).toBe(503);
    emitter.failWith = new NodeUnavailableError({ node: 'jetstream', reason: 'maximum messages exceeded' });
    expect((await post(url, event.headers, event.body)).json.error.code).toBe('LUCENT_NODE_UNAVAILABLE');
    emitter.failWith = new EncodeError({ reason: 'JetStream publish: message too large' });
    expect((await post(url, event.headers, event.body)).status).toBe(413);
    emitter.failWith = undefined;
    expect((await post(url, event.headers, event.body)).status).toBe(202);
  });

  it('stores every event of a batch, in order, and answers 503 once shutting down', async () => {
    const { emitter, ingress, url } = await serve();
    const batch = Array.from({ length: 130 }, (_, n) => ({
      specversion: '1.0',
      id: `b${n}`,
      source: '/unit',
      type: 'Tick',
      data: { n },
    }));
    const answer = await post(url, { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch));
    expect(answer.json.accepted).toBe(130);
    expect(emitter.stored.map((stored) => (stored.data as { n: number }).n)).toEqual(batch.map((_, n) => n));
    ingress.stopAccepting();
    const late = await post(url, event.headers, event.body);
    expect(late).toMatchObject({ status: 503, json: { error: { code: 'LUCENT_SHUTTING_DOWN' } } });
  });
});
