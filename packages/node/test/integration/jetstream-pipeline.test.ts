/**
 * `JetStreamPipeline` against a real nats-server: stored sequences, the server's refusals as `api_error`, no
 * responders, the timeout sweep and the bound on waiting requests.
 */
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JetStreamApiError, JetStreamPipeline } from '../../src/state/jetstream-pipeline.js';
import { isWrongLastSequence } from '../../src/state/revisioned-kv.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  await nc.jetstream().views.kv('pipeline', { history: 1 });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

it('stores 2 000 pipelined writes with their sequences, and reports a refused conditional write as api_error', async () => {
  const pipeline = new JetStreamPipeline(nc, { maxInFlight: 256 });
  const replies = await Promise.all(
    Array.from({ length: 2_000 }, (_, i) => pipeline.request(`$KV.pipeline.k${i}`, new Uint8Array([i & 255]))),
  );
  expect(new Set(replies.map((r) => r.seq)).size).toBe(2_000);
  const stale = headers();
  stale.set('Nats-Expected-Last-Subject-Sequence', String((replies[0]?.seq ?? 0) + 100_000));
  const refused = await pipeline.request('$KV.pipeline.k0', new Uint8Array([1]), stale).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(JetStreamApiError);
  expect(isWrongLastSequence(refused)).toBe(true);
  expect(pipeline.pending).toBe(0);
  pipeline.close();
});

it('rejects at once without responders, after the timeout without a reply, and past its queue bound', async () => {
  const pipeline = new JetStreamPipeline(nc, { timeoutMs: 300, maxInFlight: 1, maxQueued: 1 });
  await expect(pipeline.request('nobody.listens')).rejects.toMatchObject({ code: 'LUCENT_NODE_UNAVAILABLE' });
  const silent = nc.subscribe('silent.>'); // receives and never answers
  const started = Date.now();
  const first = pipeline.request('silent.1').catch((e: unknown) => e);
  const queued = pipeline.request('silent.2').catch((e: unknown) => e);
  await expect(pipeline.request('silent.3')).rejects.toMatchObject({ code: 'LUCENT_NODE_UNAVAILABLE' });
  expect(await first).toMatchObject({ code: 'TIMEOUT' });
  expect(await queued).toMatchObject({ code: 'TIMEOUT' });
  // The queued one was sent when the first timed out, and timed out in turn: two timeouts, one after the other.
  expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  silent.unsubscribe();
  pipeline.close();
  await expect(pipeline.request('silent.4')).rejects.toMatchObject({ code: 'LUCENT_NODE_UNAVAILABLE' });
});
