import { SimulatedClock } from '@lucent/actors/internal';
import {
  DecodeError,
  EncodeError,
  HandlerError,
  type LucentError,
  NodeUnavailableError,
  ShuttingDownError,
  TimeoutError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_RESPONDERS_REASON } from '../src/transport/frame-dispatch.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import type { Replier } from '../src/transport/transport.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const open: InMemoryTransport[] = [];
function connect(bus: InMemoryBus, options: ConstructorParameters<typeof InMemoryTransport>[1] = {}) {
  const t = new InMemoryTransport(bus, options);
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Lets queued flushes (setImmediate) and bus deliveries (microtasks) run; no timers, no real time. */
const settle = async (rounds = 4) => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('InMemoryTransport', () => {
  it('delivers sends between two connections in order', async () => {
    const bus = new InMemoryBus();
    const a = connect(bus);
    const b = connect(bus);
    const got: number[] = [];
    b.subscribe('s', (frame, replier) => {
      expect(replier).toBeUndefined();
      got.push(frame[0]!);
    });
    for (let i = 0; i < 50; i++) a.send('s', bytes(i));
    await settle();
    expect(got).toEqual([...Array(50).keys()]);
    // 50 frames sent in one tick travel as one bus message.
    expect(bus.publishedTo('s')).toBe(1);
    expect(a.stats.framesOut).toBe(50);
    expect(b.stats.framesIn).toBe(50);
  });

  it('answers requests across connections; many in flight coalesce both ways', async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    server.subscribe('echo', (frame, replier) => replier?.reply(text(`re:${str(frame)}`)));
    const replies = await Promise.all([...Array(200).keys()].map((i) => client.request('echo', text(`${i}`), 5_000)));
    expect(replies.map(str)).toEqual([...Array(200).keys()].map((i) => `re:${i}`));
    expect(bus.publishedTo('echo')).toBe(1);
    expect(bus.publishedTo(`${client.replySubject}.echo`)).toBe(1);
    expect(client.pendingRequests).toBe(0);
  });

  it('fails requests to a subject nobody subscribes at once with NodeUnavailableError, not at their deadline', async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    server.subscribe('echo', (frame, replier) => replier?.reply(frame));
    const started = performance.now();
    const [lost, served] = await Promise.allSettled([
      client.request('nobody', bytes(1), 60_000),
      client.request('echo', bytes(2), 60_000),
    ]);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(lost.status).toBe('rejected');
    const error = (lost as PromiseRejectedResult).reason;
    expect(NodeUnavailableError.is(error)).toBe(true);
    expect((error as NodeUnavailableError).details).toEqual({ node: 'nobody', reason: NO_RESPONDERS_REASON });
    expect(served.status === 'fulfilled' && [...served.value]).toEqual([2]);
    expect(client.stats.noResponders).toBe(1);
    expect(client.pendingRequests).toBe(0);
  });

  it('failRequestsTo rejects only the requests waiting on that subject, each with its own error', async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    server.subscribe('silent', () => {}); // receives, never answers (a node killed mid-call)
    server.subscribe('echo', (frame, replier) => replier?.reply(frame));
    const waiting = [client.request('silent', bytes(1), 60_000), client.request('silent', bytes(2), 60_000)];
    const served = client.request('echo', bytes(3), 60_000);
    await settle();
    const errors: Error[] = [];
    expect(client.failRequestsTo('silent', () => errors[errors.push(new Error('left')) - 1])).toBe(2);
    const outcomes = await Promise.allSettled(waiting);
    expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual(errors);
    expect(errors[0]).not.toBe(errors[1]);
    expect([...(await served)]).toEqual([3]);
    expect(client.failRequestsTo('silent', () => new Error('none'))).toBe(0);
    expect(client.pendingRequests).toBe(0);
  });

  it("failRequestsTo also rejects requests to the subjects below it (a node's placed subjects), not lookalikes", async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    server.subscribe('node.n1.*', () => {});
    server.subscribe('node.n10', () => {});
    const below = client.request('node.n1.t1', bytes(1), 60_000);
    const lookalike = client.request('node.n10', bytes(2), 60_000);
    await settle();
    expect(client.failRequestsTo('node.n1', () => new Error('left'))).toBe(1);
    await expect(below).rejects.toThrow('left');
    expect(client.pendingRequests).toBe(1);
    expect(client.failRequestsTo('node.n10', () => new Error('left too'))).toBe(1);
    await expect(lookalike).rejects.toThrow('left too');
  });

  it("hands the handler each message's subject only when subscribed withSubject", async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    const seen: (string | undefined)[] = [];
    server.subscribe('placed.*', (_frame, _replier, subject) => seen.push(subject), { withSubject: true });
    server.subscribe('plain.*', (_frame, _replier, subject) => seen.push(subject));
    client.send('placed.t1', bytes(1));
    client.send('placed.t1', bytes(2));
    client.send('placed.t2', bytes(3));
    client.send('plain.t1', bytes(4));
    await settle();
    expect(seen).toEqual(['placed.t1', 'placed.t1', 'placed.t2', undefined]);
  });

  it('at one in flight each request is its own message', async () => {
    const bus = new InMemoryBus();
    const client = connect(bus);
    const server = connect(bus);
    server.subscribe('echo', (frame, replier) => replier?.reply(frame));
    for (let i = 0; i < 5; i++) expect([...(await client.request('echo', bytes(i), 1_000))]).toEqual([i]);
    expect(bus.publishedTo('echo')).toBe(5);
  });

  it('spreads a queue group round-robin, one member per message; plain subscribers get everything', async () => {
    const bus = new InMemoryBus();
    const sender = connect(bus);
    const counts = [0, 0, 0];
    let plain = 0;
    counts.forEach((_, i) => {
      connect(bus).subscribe('fn.x', () => counts[i]!++, { queue: 'workers' });
    });
    connect(bus).subscribe('fn.x', () => plain++);
    for (let i = 0; i < 9; i++) {
      sender.send('fn.x', bytes(i));
      await settle(1);
    }
    await settle();
    expect(counts).toEqual([3, 3, 3]);
    expect(plain).toBe(9);
  });

  it('matches * and > wildcards', async () => {
    const bus = new InMemoryBus();
    const t = connect(bus);
    const star: string[] = [];
    const tail: string[] = [];
    t.subscribe('lucent.c.metrics.*', (f) => star.push(str(f)));
    t.subscribe('lucent.c.>', (f) => tail.push(str(f)));
    t.send('lucent.c.metrics.n1', text('m1'));
    t.send('lucent.c.metrics.n1.extra', text('m2'));
    t.send('lucent.c.node.n2', text('n2'));
    t.send('lucent.d.node.n2', text('other'));
    await settle();
    expect(star).toEqual(['m1']);
    expect(tail.sort()).toEqual(['m1', 'm2', 'n2']);
  });

  it('rejects with TimeoutError at the deadline on the simulated clock; a late reply is dropped and counted', async () => {
    const bus = new InMemoryBus();
    const clock = new SimulatedClock();
    const client = connect(bus, { clock });
    const server = connect(bus);
    let held: Replier | undefined;
    server.subscribe('slow', (_f, replier) => {
      held = replier;
    });
    const pending = client.request('slow', bytes(1), 100);
    const outcome = pending.then(
      () => 'resolved',
      (e: LucentError) => e.code,
    );
    await settle();
    expect(held).toBeDefined();
    clock.advance(99);
    await settle();
    expect(client.pendingRequests).toBe(1);
    clock.advance(1);
    expect(await outcome).toBe(TimeoutError.code);
    expect(held!.reply(bytes(2))).toBe(true);
    expect(held!.reply(bytes(3))).toBe(false);
    await settle();
    expect(client.stats.unmatchedReplies).toBe(1);
    expect(client.stats.timeouts).toBe(1);
  });

  it('garbage on a subscribed subject reaches onError as DecodeError; the next good message is served', async () => {
    const bus = new InMemoryBus();
    const t = connect(bus);
    const errors: string[] = [];
    const got: number[] = [];
    t.subscribe('s', (f) => got.push(f[0]!), { onError: (e) => errors.push(e.code) });
    bus.publish('s', text('definitely not frames'));
    bus.publish('s', new Uint8Array(0));
    t.send('s', bytes(42));
    await settle();
    expect(errors).toEqual([DecodeError.code, DecodeError.code]);
    expect(got).toEqual([42]);
    expect(t.stats.decodeErrors).toBe(2);
  });

  it('errors of subscriptions without onError go to the transport listeners, with the subject', async () => {
    const bus = new InMemoryBus();
    const t = connect(bus);
    const seen: [string, string][] = [];
    t.onError((e, subject) => seen.push([e.code, subject]));
    t.subscribe('s', () => {});
    bus.publish('s', bytes(1, 2, 3));
    await settle();
    expect(seen).toEqual([[DecodeError.code, 's']]);
  });

  it('a throwing handler reports HandlerError and does not stop the other frames of the message', async () => {
    const bus = new InMemoryBus();
    const a = connect(bus);
    const b = connect(bus);
    const errors: string[] = [];
    const got: number[] = [];
    b.subscribe(
      's',
      (f) => {
        if (f[0] === 1) throw new TypeError('bad input');
        got.push(f[0]!);
      },
      { onError: (e) => errors.push(e.code) },
    );
    a.send('s', bytes(0));
    a.send('s', bytes(1));
    a.send('s', bytes(2));
    await settle();
    expect(got).toEqual([0, 2]);
    expect(errors).toEqual([HandlerError.code]);
  });

  it('rejects oversized frames with EncodeError (send throws, request rejects)', async () => {
    const bus = new InMemoryBus({ maxMessageBytes: 1000 });
    const t = connect(bus);
    expect(() => t.send('s', new Uint8Array(2000))).toThrow(EncodeError);
    await expect(t.request('s', new Uint8Array(2000), 100)).rejects.toSatisfy(EncodeError.is);
    expect(t.pendingRequests).toBe(0);
  });

  it('unsubscribe stops delivery', async () => {
    const bus = new InMemoryBus();
    const t = connect(bus);
    let n = 0;
    const sub = t.subscribe('s', () => n++);
    t.send('s', bytes(1));
    await settle();
    sub.unsubscribe();
    sub.unsubscribe();
    t.send('s', bytes(2));
    await settle();
    expect(n).toBe(1);
  });

  it('close drains queued frames, rejects pending requests with ShuttingDownError, refuses new work', async () => {
    const bus = new InMemoryBus();
    const a = new InMemoryTransport(bus);
    const b = connect(bus);
    const got: number[] = [];
    b.subscribe('s', (f) => got.push(f[0]!));
    b.subscribe('silent', () => {});
    for (let i = 0; i < 10; i++) a.send('s', bytes(i));
    const unanswered = a.request('silent', bytes(0), 60_000).catch((e: unknown) => e);
    const statuses: string[] = [];
    a.onStatus((e) => statuses.push(e.type));
    const closing = a.close();
    expect(a.close()).toBe(closing);
    await closing;
    await settle();
    expect(got).toEqual([...Array(10).keys()]);
    expect(ShuttingDownError.is(await unanswered)).toBe(true);
    expect(() => a.send('s', bytes(1))).toThrow(ShuttingDownError);
    await expect(a.request('s', bytes(1), 10)).rejects.toSatisfy(ShuttingDownError.is);
    expect(statuses).toEqual(['closed']);
    expect(a.isClosed).toBe(true);
  });

  it('flush() resolves once queued frames were delivered', async () => {
    const bus = new InMemoryBus();
    const a = connect(bus);
    const got: number[] = [];
    connect(bus).subscribe('s', (f) => got.push(f[0]!));
    a.send('s', bytes(7));
    await a.flush();
    expect(got).toEqual([7]);
  });

  it('a request loop with batches at the size cap still yields to the event loop (regression)', async () => {
    // With microtask delivery, replies published synchronously at the cap fed new requests forever without
    // ever letting a macrotask (timer, I/O, this setImmediate) run.
    const bus = new InMemoryBus();
    const client = connect(bus, { maxBatchBytes: 256 });
    const server = connect(bus, { maxBatchBytes: 256 });
    server.subscribe('echo', (f, replier) => replier?.reply(f));
    let stop = false;
    let done = 0;
    const lane = async () => {
      while (!stop) {
        await client.request('echo', new Uint8Array(64), 5_000);
        done++;
      }
    };
    const lanes = Array.from({ length: 200 }, lane);
    await new Promise<void>((resolve) => setImmediate(resolve));
    stop = true;
    await Promise.all(lanes);
    expect(done).toBeGreaterThan(0);
  });
});
