import { SimulatedClock } from '@lucent/actors/internal';
import {
  ConfigError,
  DecodeError,
  HandlerError,
  type LoadReport,
  type LucentError,
  membershipSubject,
  ShuttingDownError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { Membership } from '../src/membership/membership.js';
import { type MembershipEvent, MembershipEventType } from '../src/membership/membership-events.js';
import { IDLE_LOAD, type MembershipOptions, MembershipRole } from '../src/membership/membership-options.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import type {
  FrameHandler,
  ReplyReceiver,
  SubscribeOptions,
  Transport,
  TransportSubscription,
} from '../src/transport/transport.js';

const INTERVAL = 100;
const DEAD = 300;
const CLUSTER = 't';

/** A transport that silently drops what it sends while `dropping` is set: a node that goes quiet. */
class DroppingTransport implements Transport {
  dropping = false;
  readonly statusListeners = new Set<Parameters<Transport['onStatus']>[0]>();
  constructor(readonly inner: Transport) {}
  get replySubject() {
    return this.inner.replySubject;
  }
  get isClosed() {
    return this.inner.isClosed;
  }
  get stats() {
    return this.inner.stats;
  }
  send(subject: string, frame: Uint8Array): void {
    if (!this.dropping) this.inner.send(subject, frame);
  }
  request(subject: string, frame: Uint8Array, timeoutMs: number) {
    return this.inner.request(subject, frame, timeoutMs);
  }
  requestTo(subject: string, frame: Uint8Array, timeoutMs: number, label: string, receiver: ReplyReceiver): void {
    this.inner.requestTo(subject, frame, timeoutMs, label, receiver);
  }
  failRequestsTo(subject: string, makeError: () => unknown) {
    return this.inner.failRequestsTo(subject, makeError);
  }
  subscribe(subject: string, handler: FrameHandler, options?: SubscribeOptions): TransportSubscription {
    return this.inner.subscribe(subject, handler, options);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
  onStatus(listener: Parameters<Transport['onStatus']>[0]) {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
  onError(listener: Parameters<Transport['onError']>[0]) {
    return this.inner.onError(listener);
  }
}

interface Harness {
  readonly clock: SimulatedClock;
  readonly bus: InMemoryBus;
  /** Event log of every membership: `[owner, event type, member id, clock time]`. */
  readonly log: [string, string, string, number][];
  readonly errors: [string, LucentError][];
}

const open: { membership: Membership; transport: Transport }[] = [];
afterEach(async () => {
  for (const { membership, transport } of open.splice(0)) {
    await membership.stop();
    await transport.close();
  }
});

function harness(): Harness {
  return { clock: new SimulatedClock(0), bus: new InMemoryBus(), log: [], errors: [] };
}

function create(
  h: Harness,
  name: string,
  options: Partial<MembershipOptions> = {},
): { membership: Membership; transport: DroppingTransport } {
  const transport = new DroppingTransport(new InMemoryTransport(h.bus, { cluster: CLUSTER }));
  const membership = new Membership({
    transport,
    nodeId: name,
    cluster: CLUSTER,
    clock: h.clock,
    heartbeatIntervalMs: INTERVAL,
    deadAfterMs: DEAD,
    incarnation: 1,
    ...options,
  });
  membership.onEvent((e: MembershipEvent) => h.log.push([name, e.type, e.member.id, h.clock.now()]));
  membership.onError((e) => h.errors.push([name, e]));
  open.push({ membership, transport });
  return { membership, transport };
}

/** Lets transport flushes and bus deliveries (setImmediate) run; no clock time passes. */
async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Moves the simulated clock in 10 ms steps, delivering messages after each step. */
async function advance(h: Harness, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    h.clock.advance(10);
    await settle();
  }
}

const ids = (m: Membership) => m.view.members.map((x) => x.id);
const KEYS = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
const owners = (m: Membership) => KEYS.map((k) => m.view.ring.owner(k));

async function startAll(...ms: Membership[]): Promise<void> {
  for (const m of ms) await m.start();
  await settle();
}

describe('Membership (in-memory transport, simulated clock)', () => {
  it('three members converge at start without waiting a heartbeat interval', async () => {
    const h = harness();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => create(h, id, { tags: [`t-${id}`] }).membership) as [
      Membership,
      Membership,
      Membership,
    ];
    await startAll(a, b, c);
    expect(h.clock.now()).toBe(0);
    for (const m of [a, b, c]) expect(ids(m)).toEqual(['a', 'b', 'c']);
    // Each saw three joins, its own included.
    for (const owner of ['a', 'b', 'c']) {
      const joined = h.log.filter(([o, type]) => o === owner && type === MembershipEventType.Joined).map((e) => e[2]);
      expect(joined.sort()).toEqual(['a', 'b', 'c']);
    }
    expect(a.view.byTag.get('t-b')?.map((x) => x.id)).toEqual(['b']);
    expect(owners(b)).toEqual(owners(a));
    expect(owners(c)).toEqual(owners(a));
    expect(new Set(owners(a))).toEqual(new Set(['a', 'b', 'c']));
    expect(h.errors).toEqual([]);
  });

  it('a member that stops heartbeating dies exactly deadAfterMs after its last heartbeat; survivors agree', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    const b = create(h, 'b').membership;
    const quiet = create(h, 'c');
    await startAll(a, b, quiet.membership);
    const before = owners(a);
    await advance(h, 250); // heartbeats at 0, 100, 200
    quiet.transport.dropping = true;
    await advance(h, 200); // t = 450: silent since 200, not yet dead
    expect(ids(a)).toEqual(['a', 'b', 'c']);
    await advance(h, 100); // t = 550
    const deaths = h.log.filter(([, type]) => type === MembershipEventType.Died);
    expect(deaths).toEqual([
      ['a', MembershipEventType.Died, 'c', 200 + DEAD],
      ['b', MembershipEventType.Died, 'c', 200 + DEAD],
    ]);
    expect(ids(a)).toEqual(['a', 'b']);
    expect(ids(b)).toEqual(['a', 'b']);
    // Keys move deterministically: both survivors map every key the same way, and only c's keys moved.
    const after = owners(a);
    expect(owners(b)).toEqual(after);
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== 'c') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('c');
    }
    // c still hears the others, so its own view is whole; when it speaks again it rejoins.
    expect(ids(quiet.membership)).toEqual(['a', 'b', 'c']);
    quiet.transport.dropping = false;
    await advance(h, INTERVAL);
    expect(ids(a)).toEqual(['a', 'b', 'c']);
    expect(
      h.log.filter(([o, type, id]) => o === 'a' && type === MembershipEventType.Joined && id === 'c'),
    ).toHaveLength(2);
  });

  it('a graceful leave is seen at once, without time passing', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    const b = create(h, 'b').membership;
    const c = create(h, 'c').membership;
    await startAll(a, b, c);
    await b.stop();
    await settle();
    expect(h.clock.now()).toBe(0);
    expect(ids(a)).toEqual(['a', 'c']);
    expect(ids(c)).toEqual(['a', 'c']);
    expect(h.log.filter(([, type]) => type === MembershipEventType.Left).map(([o, , id]) => [o, id])).toEqual([
      ['a', 'b'],
      ['c', 'b'],
    ]);
    expect(b.isRunning).toBe(false);
    // Nothing dies later either: the leave was final.
    await advance(h, 2 * DEAD);
    expect(h.log.filter(([, type]) => type === MembershipEventType.Died)).toEqual([]);
    await b.stop(); // idempotent
    await expect(b.start()).resolves.toBeUndefined(); // the first start's promise
  });

  it('an observer sees the members (at once, and their deaths) but is not one', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    const b = create(h, 'b').membership;
    await startAll(a, b);
    const { membership: client, transport } = create(h, 'client', { role: MembershipRole.Observer });
    const published = h.bus.publishedTo(membershipSubject(CLUSTER));
    const answered = a.stats.probesAnswered + b.stats.probesAnswered;
    await client.start();
    await settle();
    expect(client.nodeId).toBe('');
    expect(ids(client)).toEqual(['a', 'b']);
    expect(ids(a)).toEqual(['a', 'b']);
    // The observer sent one probe and no heartbeat; a and b answered it.
    expect(client.stats.heartbeatsSent).toBe(0);
    expect(a.stats.probesAnswered + b.stats.probesAnswered - answered).toBe(2);
    expect(h.bus.publishedTo(membershipSubject(CLUSTER)) - published).toBe(3);
    await advance(h, 2 * DEAD);
    expect(ids(a)).toEqual(['a', 'b']);
    expect(ids(client)).toEqual(['a', 'b']);
    await transport.close(); // no leave from an observer; nobody notices
    await a.stop();
    await settle();
    expect(h.log.filter(([o]) => o === 'b').map(([, type, id]) => `${type}:${id}`)).toEqual([
      'member.joined:b',
      'member.joined:a',
      'member.left:a',
    ]);
  });

  it('load updates patch the view without rebuilding the ring; tags stay indexed', async () => {
    const h = harness();
    let load: LoadReport = IDLE_LOAD;
    const a = create(h, 'a').membership;
    const b = create(h, 'b', { load: () => load, tags: ['gpu'] }).membership;
    await startAll(a, b);
    const view = a.view;
    const builds = a.viewBuilds;
    load = { ...IDLE_LOAD, cpu: 0.8, queueDepth: 7, maxQueue: 10 };
    await advance(h, INTERVAL);
    const next = a.view;
    expect(next).not.toBe(view);
    expect(next.ring).toBe(view.ring);
    expect(a.viewBuilds).toBe(builds);
    expect(next.byId.get('b')?.load).toMatchObject({ cpu: 0.8, queueDepth: 7 });
    expect(next.byId.get('b')?.loadScore).toBeGreaterThan(view.byId.get('b')?.loadScore ?? 1);
    expect(next.byTag.get('gpu')?.map((m) => m.id)).toEqual(['b']);
    // Unchanged heartbeats change nothing: the same view object is returned.
    await advance(h, 3 * INTERVAL);
    expect(a.view).toBe(next);
    // b's own view shows its own load too.
    expect(b.view.byId.get('b')?.load.cpu).toBe(0.8);
  });

  it('a restarted node (new incarnation) replaces its previous run at once', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    const old = create(h, 'b', { incarnation: 1 });
    await startAll(a, old.membership);
    await old.transport.close(); // crash: no leave
    await advance(h, INTERVAL);
    const fresh = create(h, 'b', { incarnation: 2 }).membership;
    await startAll(fresh);
    expect(a.member('b')?.incarnation).toBe(2);
    expect(h.log.filter(([o, type]) => o === 'a' && type === MembershipEventType.Restarted)).toEqual([
      ['a', MembershipEventType.Restarted, 'b', INTERVAL],
    ]);
    expect(ids(fresh)).toEqual(['a', 'b']);
  });

  it('after a reconnect a member heartbeats and probes at once, so both sides see each other again', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    const flaky = create(h, 'b');
    await startAll(a, flaky.membership);
    flaky.transport.dropping = true; // b's connection is down: nothing it sends arrives
    await advance(h, DEAD);
    expect(ids(a)).toEqual(['a']);
    await advance(h, 5); // mid-interval: without the reconnect hook nobody would speak for 95 ms
    flaky.transport.dropping = false;
    const answered = a.stats.probesAnswered;
    for (const listener of flaky.transport.statusListeners) listener({ type: 'reconnected', server: 'x' });
    await settle();
    expect(ids(a)).toEqual(['a', 'b']);
    expect(a.stats.probesAnswered).toBe(answered + 1);
    await flaky.membership.stop();
    expect(flaky.transport.statusListeners.size).toBe(0);
  });

  it('a transport closed under a running member halts it and reports ShuttingDownError', async () => {
    const h = harness();
    const { membership, transport } = create(h, 'a');
    await startAll(membership);
    await transport.close();
    await advance(h, INTERVAL);
    expect(membership.isRunning).toBe(false);
    expect(h.errors.map(([, e]) => e.code)).toEqual([ShuttingDownError.code]);
    await advance(h, 3 * INTERVAL); // no further timers, no further errors
    expect(h.errors).toHaveLength(1);
    await expect(membership.stop()).resolves.toBeUndefined();
  });

  it('reports a malformed message and another process using its node id, and keeps going', async () => {
    const h = harness();
    const a = create(h, 'a', { incarnation: 1 }).membership;
    const b = create(h, 'b').membership;
    await startAll(a, b);
    const raw = new InMemoryTransport(h.bus, { cluster: CLUSTER });
    raw.send(membershipSubject(CLUSTER), new Uint8Array([0xc1]));
    await settle();
    const impostor = create(h, 'a', { incarnation: 5 }).membership;
    await startAll(impostor);
    const codes = h.errors.filter(([o]) => o === 'a').map(([, e]) => e.code);
    expect(codes).toContain(DecodeError.code);
    expect(codes).toContain(ConfigError.code);
    expect(a.isRunning).toBe(true);
    expect(ids(b)).toEqual(['a', 'b']);
    await raw.close();
  });

  it('reports another process using its node id once, not at every heartbeat; a third process again', async () => {
    const h = harness();
    const a = create(h, 'a', { incarnation: 1 }).membership;
    await startAll(a, create(h, 'a', { incarnation: 5 }).membership);
    await advance(h, INTERVAL * 5);
    const reportedBy = (owner: string) => h.errors.filter(([o, e]) => o === owner && e.code === ConfigError.code);
    expect(reportedBy('a').map(([, e]) => e.message)).toEqual([
      expect.stringContaining('incarnation 5'),
      expect.stringContaining('incarnation 1'), // the impostor hears the original too
    ]);
    await startAll(create(h, 'a', { incarnation: 9 }).membership);
    await advance(h, INTERVAL * 3);
    expect(reportedBy('a').filter(([, e]) => e.message.includes('incarnation 9'))).toHaveLength(2);
    expect(a.isRunning).toBe(true);
  });

  it('a load provider that throws is reported and the heartbeat still goes out', async () => {
    const h = harness();
    const a = create(h, 'a').membership;
    let fail = false;
    const b = create(h, 'b', { load: () => (fail ? JSON.parse('{') : { ...IDLE_LOAD, cpu: 0.5 }) }).membership;
    await startAll(a, b);
    fail = true;
    await advance(h, 2 * DEAD);
    expect(ids(a)).toEqual(['a', 'b']);
    expect(a.view.byId.get('b')?.load.cpu).toBe(0.5); // the last good report
    expect(h.errors.filter(([o]) => o === 'b').map(([, e]) => e.code)).toContain(HandlerError.code);
  });

  it('start rejects after stop; options are validated', async () => {
    const h = harness();
    const { membership } = create(h, 'a');
    await membership.stop();
    await expect(membership.start()).rejects.toMatchObject({ code: ShuttingDownError.code });
    const transport = new InMemoryTransport(h.bus);
    expect(() => new Membership({ transport })).toThrow(expect.objectContaining({ code: ConfigError.code }));
    const bad: Partial<MembershipOptions>[] = [
      { nodeId: 'a.b' },
      { heartbeatIntervalMs: 0 },
      { deadAfterMs: INTERVAL },
      { weight: Number.NaN },
      { incarnation: -1 },
      { cluster: 'x y' },
    ];
    for (const options of bad) {
      expect(() => new Membership({ transport, nodeId: 'n', heartbeatIntervalMs: INTERVAL, ...options })).toThrow(
        expect.objectContaining({ code: ConfigError.code }),
      );
    }
    const defaults = new Membership({ transport, nodeId: 'n' });
    expect([defaults.heartbeatIntervalMs, defaults.deadAfterMs]).toEqual([500, 1500]);
    await transport.close();
  });
});
