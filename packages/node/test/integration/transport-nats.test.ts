/**
 * NatsTransport against a real nats-server (one per file, on a free port, started by the harness).
 * Fails (does not skip) when nats-server is not installed.
 */
import { DecodeError, type LucentError, NodeUnavailableError, TimeoutError } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NO_RESPONDERS_REASON } from '../../src/transport/frame-dispatch.js';
import { decodeFrames } from '../../src/transport/frames.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';

let server: NatsServerHandle;
let raw: NatsConnection;
const open: NatsTransport[] = [];

async function transport(): Promise<NatsTransport> {
  const t = await NatsTransport.connect({ servers: server.url, cluster: 'it' });
  open.push(t);
  return t;
}

/** Polls `check` every 10 ms until it holds or `timeoutMs` passes. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const bytes = (...xs: number[]) => new Uint8Array(xs);

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true, monitor: true });
  raw = await connect({ servers: server.url });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await raw?.close();
  await server?.stop();
});

describe('NatsTransport (real nats-server)', () => {
  it('the harness runs its own server, not the system one', () => {
    expect(server.port).not.toBe(4222);
    expect(server.pid).toBeGreaterThan(0);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
  });

  it('sends frames to a subscriber on another connection, in order', async () => {
    const a = await transport();
    const b = await transport();
    const got: number[] = [];
    b.subscribe('it.send', (f) => got.push(f[0]!));
    await b.flush();
    for (let i = 0; i < 100; i++) a.send('it.send', bytes(i));
    await until(() => got.length === 100);
    expect(got).toEqual([...Array(100).keys()]);
  });

  it('answers requests across two connections', async () => {
    const client = await transport();
    const responder = await transport();
    responder.subscribe('it.echo', (f, replier) => replier?.reply(Uint8Array.from(f, (x) => x + 1)));
    await responder.flush();
    const one = await client.request('it.echo', bytes(1, 2), 2_000);
    expect([...one]).toEqual([2, 3]);
    const many = await Promise.all(
      [...Array(500).keys()].map((i) => client.request('it.echo', bytes(i & 0xff), 5_000)),
    );
    expect(many.map((r) => r[0])).toEqual([...Array(500).keys()].map((i) => ((i & 0xff) + 1) & 0xff));
    expect(client.pendingRequests).toBe(0);
  });

  it('coalesces many frames into few NATS messages (counted by a plain nats.js subscription)', async () => {
    const a = await transport();
    let rawMessages = 0;
    let rawFrames = 0;
    const sub = raw.subscribe('it.coalesce', {
      callback: (_e, msg) => {
        rawMessages++;
        rawFrames += decodeFrames(msg.data).length;
      },
    });
    await raw.flush();
    for (let i = 0; i < 1000; i++) a.send('it.coalesce', new Uint8Array(32).fill(i & 0xff));
    await a.flush();
    await until(() => rawFrames === 1000);
    sub.unsubscribe();
    // 1000 × (32 + 9) bytes ≈ 41 KB: one message under the 64 KiB cap.
    expect(rawMessages).toBeLessThanOrEqual(2);
    expect(a.stats.messagesOut).toBe(rawMessages);
  });

  it('counts the same in the server monitoring /varz', async () => {
    const a = await transport();
    const before = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { in_msgs: number };
    for (let i = 0; i < 300; i++) a.send('it.varz', bytes(i & 0xff));
    await a.flush();
    const after = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { in_msgs: number };
    // One coalesced message (+ nothing else from this connection; other tests are idle meanwhile).
    expect(after.in_msgs - before.in_msgs).toBeLessThanOrEqual(3);
  });

  it('spreads a queue group across its members', async () => {
    const sender = await transport();
    const members = [await transport(), await transport(), await transport()];
    const counts = [0, 0, 0];
    members.forEach((m, i) => {
      m.subscribe('it.fn', () => counts[i]!++, { queue: 'workers' });
    });
    await Promise.all(members.map((m) => m.flush()));
    for (let i = 0; i < 90; i++) {
      sender.send('it.fn', bytes(i));
      await sender.flush(); // one message each, so each message is one placement decision
    }
    await until(() => counts.reduce((a, b) => a + b, 0) === 90);
    for (const c of counts) expect(c).toBeGreaterThan(0);
  });

  it('rejects an unanswered request with TimeoutError at (not before) the deadline', async () => {
    const client = await transport();
    const silent = await transport();
    silent.subscribe('it.silent', () => {});
    await silent.flush();
    const started = performance.now();
    const error = (await client.request('it.silent', bytes(1), 200).catch((e: unknown) => e)) as LucentError;
    const elapsed = performance.now() - started;
    expect(error.code).toBe(TimeoutError.code);
    expect(elapsed).toBeGreaterThanOrEqual(199);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("fails a request nobody subscribes at once with NodeUnavailableError (the server's no-responders notice)", async () => {
    const client = await transport();
    const responder = await transport();
    responder.subscribe('it.there', (f, replier) => replier?.reply(f));
    await responder.flush();
    const started = performance.now();
    const [lost, served] = await Promise.allSettled([
      client.request('it.nobody', bytes(1), 30_000),
      client.request('it.there', bytes(2), 30_000),
    ]);
    expect(performance.now() - started).toBeLessThan(10_000);
    const error = (lost as PromiseRejectedResult).reason as NodeUnavailableError;
    expect(NodeUnavailableError.is(error)).toBe(true);
    expect(error.details).toEqual({ node: 'it.nobody', reason: NO_RESPONDERS_REASON });
    expect(served.status === 'fulfilled' && [...served.value]).toEqual([2]);
    expect(client.stats.noResponders).toBe(1);
  });

  it('survives garbage published raw on a subscribed subject: DecodeError to onError, next message served', async () => {
    const t = await transport();
    const errors: string[] = [];
    const got: number[] = [];
    t.subscribe('it.garbage', (f) => got.push(f[0]!), { onError: (e) => errors.push(e.code) });
    await t.flush();
    raw.publish('it.garbage', new TextEncoder().encode('{"not":"frames"}'));
    raw.publish('it.garbage');
    await raw.flush();
    const sender = await transport();
    sender.send('it.garbage', bytes(9));
    await until(() => got.length === 1);
    expect(errors).toEqual([DecodeError.code, DecodeError.code]);
    expect(got).toEqual([9]);
  });

  it('close() drains frames still queued', async () => {
    const sender = await NatsTransport.connect({ servers: server.url });
    const receiver = await transport();
    const got: number[] = [];
    receiver.subscribe('it.drain', (f) => got.push(f[0]!));
    await receiver.flush();
    for (let i = 0; i < 2000; i++) sender.send('it.drain', new Uint8Array(64).fill(i & 0xff));
    await sender.close(); // no flush before: close must publish the queue itself
    await until(() => got.length === 2000);
    expect(got.slice(0, 3)).toEqual([0, 1, 2]);
  });
});
