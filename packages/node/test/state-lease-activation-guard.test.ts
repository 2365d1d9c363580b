import { SimulatedClock, TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { type Lease, type LeaseOutcome, LeaseOutcomeType } from '../src/state/activation-lease.js';
import { LeaseActivationGuard, type LeaseStore } from '../src/state/lease-activation-guard.js';

/** A lease table with the KV leases' semantics (create, revision-checked takeover and release), in memory. */
class FakeLeases implements LeaseStore {
  readonly table = new Map<string, Lease>();
  readonly calls: string[] = [];
  #revision = 0;
  failRelease = false;

  async acquire(key: string, owner: string): Promise<LeaseOutcome> {
    this.calls.push(`acquire ${key} ${owner}`);
    const holder = this.table.get(key);
    if (holder !== undefined && holder.owner !== owner) return { type: LeaseOutcomeType.held, holder };
    return { type: LeaseOutcomeType.acquired, lease: holder ?? this.#write(key, owner) };
  }

  async takeover(holder: Lease, owner: string): Promise<LeaseOutcome> {
    this.calls.push(`takeover ${holder.key} ${holder.owner}->${owner}`);
    if (this.table.get(holder.key)?.revision !== holder.revision) return this.acquire(holder.key, owner);
    return { type: LeaseOutcomeType.acquired, lease: this.#write(holder.key, owner) };
  }

  async release(lease: Lease): Promise<boolean> {
    this.calls.push(`release ${lease.key} ${lease.owner}`);
    if (this.failRelease) throw new Error('kv down');
    if (this.table.get(lease.key)?.revision !== lease.revision) return false;
    this.table.delete(lease.key);
    return true;
  }

  #write(key: string, owner: string): Lease {
    const lease = { key, owner, acquiredAtMs: 0, renewedAtMs: 0, revision: ++this.#revision };
    this.table.set(key, lease);
    return lease;
  }
}

/** Lets promise callbacks run (one event-loop turn); no clock time passes. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A guard on a simulated clock. `run` drives it: whenever the guard waits, it fires the next timer (moving the
 * clock to it) and calls `onPause`, so waiting costs no real time.
 */
function guardOf(leases: FakeLeases, owner: string, alive: Set<string>, onPause: () => void = () => {}) {
  const clock = new SimulatedClock();
  const releaseErrors: string[] = [];
  const guard = new LeaseActivationGuard({
    leases,
    owner,
    isAlive: (id) => alive.has(id),
    retryMs: 50,
    waitMs: 1_000,
    clock,
    onReleaseError: (key) => releaseErrors.push(key),
  });
  async function run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const settled = work.finally(() => {
      done = true;
    });
    settled.catch(() => {});
    for (;;) {
      await settle();
      if (done || !clock.fireNext(Number.POSITIVE_INFINITY)) break;
      onPause();
    }
    return settled;
  }
  return { guard, releaseErrors, elapsed: () => clock.now(), run };
}

describe('LeaseActivationGuard', () => {
  it('acquires a free lease and releases it once', async () => {
    const leases = new FakeLeases();
    const { guard, run } = guardOf(leases, 'a', new Set(['a']));
    await run(guard.acquire('counter', 'c1'));
    expect(leases.table.get('counter/c1')?.owner).toBe('a');
    expect(guard.heldCount).toBe(1);
    await guard.release('counter', 'c1');
    await guard.release('counter', 'c1');
    expect(leases.table.size).toBe(0);
    expect(leases.calls.filter((c) => c.startsWith('release'))).toHaveLength(1);
  });

  it('waits while a live node holds the lease, and gets it when that node lets go', async () => {
    const leases = new FakeLeases();
    const alive = new Set(['a', 'b']);
    const b = guardOf(leases, 'b', alive);
    await b.run(b.guard.acquire('counter', 'c1'));
    let pauses = 0;
    const a = guardOf(leases, 'a', alive, () => {
      // b hands the actor off after a few retries.
      if (++pauses === 4) void b.guard.release('counter', 'c1');
    });
    await a.run(a.guard.acquire('counter', 'c1'));
    expect(leases.table.get('counter/c1')?.owner).toBe('a');
    expect(a.elapsed()).toBe(200);
    expect(leases.calls.some((c) => c.startsWith('takeover'))).toBe(false);
  });

  it('takes over the lease of a node that is dead in its view', async () => {
    const leases = new FakeLeases();
    const b = guardOf(leases, 'b', new Set(['b']));
    await b.run(b.guard.acquire('counter', 'c1'));
    const a = guardOf(leases, 'a', new Set(['a']));
    await a.run(a.guard.acquire('counter', 'c1'));
    expect(leases.table.get('counter/c1')?.owner).toBe('a');
    expect(leases.calls).toContain('takeover counter/c1 b->a');
    expect(a.elapsed()).toBe(0);
  });

  it('gives up with TimeoutError when a live holder keeps the lease for waitMs', async () => {
    const leases = new FakeLeases();
    const alive = new Set(['a', 'b']);
    const b = guardOf(leases, 'b', alive);
    await b.run(b.guard.acquire('counter', 'c1'));
    const a = guardOf(leases, 'a', alive);
    const error = await a.run(a.guard.acquire('counter', 'c1')).catch((e: unknown) => e);
    expect(TimeoutError.is(error)).toBe(true);
    expect(a.elapsed()).toBe(1_000);
    expect(a.guard.heldCount).toBe(0);
  });

  it('reports a failed release and forgets the lease', async () => {
    const leases = new FakeLeases();
    const a = guardOf(leases, 'a', new Set(['a']));
    await a.run(a.guard.acquire('counter', 'c1'));
    leases.failRelease = true;
    await a.guard.release('counter', 'c1');
    expect(a.releaseErrors).toEqual(['counter/c1']);
    expect(a.guard.heldCount).toBe(0);
  });
});
