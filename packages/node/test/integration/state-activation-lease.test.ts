/** ActivationLeases against a real nats-server: atomic acquire, revision-checked renew/release/takeover, TTL. */
import { ConflictError, systemClock } from '@lucent/core/internal';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationLeases, type Lease, type LeaseOutcome } from '../../src/state/activation-lease.js';
import { mayTakeOver } from '../../src/state/lease-policy.js';
import { RevisionedKv } from '../../src/state/revisioned-kv.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets = 0;
let wallMs = 1_000;

const freshLeases = (ttlMs?: number) =>
  ActivationLeases.open(nc, {
    bucket: `lease-test-${buckets++}`,
    clock: { ...systemClock, wallNow: () => wallMs }, // real timers, lease times set by the test
    ...(ttlMs === undefined ? {} : { ttlMs }),
  });

function leaseOf(outcome: LeaseOutcome): Lease {
  if (outcome.type !== 'lease.acquired') throw new Error(`expected acquired, got held by ${outcome.holder.owner}`);
  return outcome.lease;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  jsm = await nc.jetstreamManager();
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('ActivationLeases', () => {
  it('acquires a free lease, reports the holder to others, and is idempotent for the holder', async () => {
    const leases = await freshLeases();
    const mine = leaseOf(await leases.acquire('Counter/o-1', 'node-a'));
    expect(mine).toMatchObject({ key: 'Counter/o-1', owner: 'node-a', acquiredAtMs: 1_000, renewedAtMs: 1_000 });
    expect(await leases.current('Counter/o-1')).toEqual(mine);
    expect(await leases.acquire('Counter/o-1', 'node-b')).toEqual({ type: 'lease.held', holder: mine });
    expect(await leases.acquire('Counter/o-1', 'node-a')).toEqual({ type: 'lease.acquired', lease: mine });
    expect(await leases.current('Counter/o-2')).toBeNull();
  });

  it('of two contenders for a free lease exactly one wins, on every key', async () => {
    const leases = await freshLeases();
    const keys = Array.from({ length: 20 }, (_, i) => `Order/${i}`);
    const outcomes = await Promise.all(
      keys.map((key) => Promise.all([leases.acquire(key, 'node-a'), leases.acquire(key, 'node-b')])),
    );
    for (const [a, b] of outcomes) {
      const winners = [a, b].filter((o) => o.type === 'lease.acquired');
      expect(winners).toHaveLength(1);
      const winner = leaseOf(winners[0] as LeaseOutcome);
      const loser = a.type === 'lease.held' ? a : b;
      expect(loser).toEqual({ type: 'lease.held', holder: winner });
    }
  });

  it('renews with a fresh time and revision; a renewal from an old revision is a ConflictError', async () => {
    const leases = await freshLeases();
    const first = leaseOf(await leases.acquire('k', 'node-a'));
    wallMs = 5_000;
    const renewed = await leases.renew(first);
    expect(renewed).toMatchObject({ owner: 'node-a', acquiredAtMs: first.acquiredAtMs, renewedAtMs: 5_000 });
    expect(renewed.revision).toBeGreaterThan(first.revision);
    expect(await leases.current('k')).toEqual(renewed);
    await expect(leases.renew(first)).rejects.toMatchObject({ code: ConflictError.code });
    wallMs = 1_000;
  });

  it('releases only its own lease, idempotently, and frees the key', async () => {
    const leases = await freshLeases();
    const mine = leaseOf(await leases.acquire('k', 'node-a'));
    expect(await leases.release(mine)).toBe(true);
    expect(await leases.release(mine)).toBe(false);
    expect(await leases.current('k')).toBeNull();
    const theirs = leaseOf(await leases.acquire('k', 'node-b'));
    // node-a's old lease object must not release node-b's lease.
    expect(await leases.release(mine)).toBe(false);
    expect(await leases.current('k')).toEqual(theirs);
  });

  it("takes over a dead owner's lease: of two contenders exactly one wins, and the dead owner is fenced", async () => {
    const leases = await freshLeases();
    const dead = leaseOf(await leases.acquire('Counter/x', 'node-dead'));
    const holder = await leases.current('Counter/x');
    expect(holder).not.toBeNull();
    const alive = new Set(['node-b', 'node-c']);
    expect(mayTakeOver(holder as Lease, { nowMs: wallMs, isOwnerAlive: (n) => alive.has(n) })).toBe(true);

    const [b, c] = await Promise.all([
      leases.takeover(holder as Lease, 'node-b'),
      leases.takeover(holder as Lease, 'node-c'),
    ]);
    const winners = [b, c].filter((o) => o.type === 'lease.acquired');
    expect(winners).toHaveLength(1);
    const winner = leaseOf(winners[0] as LeaseOutcome);
    expect((b.type === 'lease.held' ? b : c) as LeaseOutcome).toEqual({ type: 'lease.held', holder: winner });
    expect(await leases.current('Counter/x')).toEqual(winner);

    // The old owner comes back: it can neither renew nor release the new owner's lease.
    await expect(leases.renew(dead)).rejects.toMatchObject({ code: ConflictError.code });
    expect(await leases.release(dead)).toBe(false);
    expect(await leases.current('Counter/x')).toEqual(winner);
  });

  it('a takeover from a stale view never replaces a newer lease; a released lease is acquired instead', async () => {
    const leases = await freshLeases();
    const old = leaseOf(await leases.acquire('k', 'node-a'));
    const renewed = await leases.renew(old);
    expect(await leases.takeover(old, 'node-b')).toEqual({ type: 'lease.held', holder: renewed });
    expect(await leases.release(renewed)).toBe(true);
    const taken = leaseOf(await leases.takeover(renewed, 'node-b'));
    expect(taken.owner).toBe('node-b');
    expect(await leases.current('k')).toEqual(taken);
  });

  it('purges the markers of released leases, keeps live ones, and never a lease acquired again after listing', async () => {
    const leases = await freshLeases();
    const streamMessages = async () => (await jsm.streams.info(`KV_${leases.bucket}`)).state.messages;
    for (let i = 0; i < 5; i++) await leases.release(leaseOf(await leases.acquire(`gone/${i}`, 'node-a')));
    const kept = leaseOf(await leases.acquire('kept', 'node-a'));
    expect(await streamMessages()).toBe(6); // 5 markers + 1 live lease
    expect(await leases.purgeReleased(Date.now() - 60_000)).toBe(0); // none released before then
    expect(await leases.purgeReleased(Date.now() + 1_000)).toBe(5);
    expect(await streamMessages()).toBe(1);
    expect(await leases.current('kept')).toEqual(kept);
    expect(leaseOf(await leases.acquire('gone/0', 'node-b')).owner).toBe('node-b'); // free again, no marker needed

    // The race the purge must survive: a key acquired again between listing its marker and purging it.
    const kv = await RevisionedKv.open(nc, { bucket: leases.bucket });
    await leases.release(leaseOf(await leases.acquire('raced', 'node-a')));
    const markers = await kv.deleteMarkers(Date.now() + 1_000);
    expect(markers.map((m) => m.kvKey)).toEqual(['raced']);
    const again = leaseOf(await leases.acquire('raced', 'node-b'));
    expect(await kv.purgeMarkers(markers)).toBe(0);
    expect(await leases.current('raced')).toEqual(again);
  });

  it('names its bucket after the cluster', async () => {
    const leases = await ActivationLeases.open(nc, { cluster: 'c1' });
    expect(leases.bucket).toBe('lucent-c1-leases');
  });

  it('with a bucket ttl, a lease that is not renewed expires and can be acquired again', async () => {
    const leases = await freshLeases(1_000);
    const stale = leaseOf(await leases.acquire('k', 'node-a'));
    // Bounded wait: the server checks max_age about once per ttl.
    const deadline = Date.now() + 10_000;
    while ((await leases.current('k')) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await leases.current('k')).toBeNull();
    expect(leaseOf(await leases.acquire('k', 'node-b')).owner).toBe('node-b');
    await expect(leases.renew(stale)).rejects.toMatchObject({ code: ConflictError.code });
  });

  it('with a bucket ttl, renewing more often than the ttl keeps the lease', async () => {
    const leases = await freshLeases(1_000);
    let lease = leaseOf(await leases.acquire('k', 'node-a'));
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      lease = await leases.renew(lease);
    }
    expect(await leases.current('k')).toEqual(lease);
  });
});
