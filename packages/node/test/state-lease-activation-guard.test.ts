import { TimeoutError } from '@lucent/core';
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

/** A guard on a simulated clock: `sleep` advances it, so waiting costs no real time. */
function guardOf(leases: FakeLeases, owner: string, alive: Set<string>, onSleep: () => void = () => {}) {
  let now = 0;
  const releaseErrors: string[] = [];
  const guard = new LeaseActivationGuard({
    leases,
    owner,
    isAlive: (id) => alive.has(id),
    retryMs: 50,
    waitMs: 1_000,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      onSleep();
    },
    onReleaseError: (key) => releaseErrors.push(key),
  });
  return { guard, releaseErrors, elapsed: () => now };
}

describe('LeaseActivationGuard', () => {
  it('acquires a free lease and releases it once', async () => {
    const leases = new FakeLeases();
    const { guard } = guardOf(leases, 'a', new Set(['a']));
    await guard.acquire('counter', 'c1');
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
    await b.guard.acquire('counter', 'c1');
    let sleeps = 0;
    const a = guardOf(leases, 'a', alive, () => {
      // b hands the actor off after a few retries.
      if (++sleeps === 4) void b.guard.release('counter', 'c1');
    });
    await a.guard.acquire('counter', 'c1');
    expect(leases.table.get('counter/c1')?.owner).toBe('a');
    expect(a.elapsed()).toBe(200);
    expect(leases.calls.some((c) => c.startsWith('takeover'))).toBe(false);
  });

  it('takes over the lease of a node that is dead in its view', async () => {
    const leases = new FakeLeases();
    await guardOf(leases, 'b', new Set(['b'])).guard.acquire('counter', 'c1');
    const a = guardOf(leases, 'a', new Set(['a']));
    await a.guard.acquire('counter', 'c1');
    expect(leases.table.get('counter/c1')?.owner).toBe('a');
    expect(leases.calls).toContain('takeover counter/c1 b->a');
    expect(a.elapsed()).toBe(0);
  });

  it('gives up with TimeoutError when a live holder keeps the lease for waitMs', async () => {
    const leases = new FakeLeases();
    const alive = new Set(['a', 'b']);
    await guardOf(leases, 'b', alive).guard.acquire('counter', 'c1');
    const a = guardOf(leases, 'a', alive);
    const error = await a.guard.acquire('counter', 'c1').catch((e: unknown) => e);
    expect(TimeoutError.is(error)).toBe(true);
    expect(a.elapsed()).toBe(1_000);
    expect(a.guard.heldCount).toBe(0);
  });

  it('reports a failed release and forgets the lease', async () => {
    const leases = new FakeLeases();
    const a = guardOf(leases, 'a', new Set(['a']));
    await a.guard.acquire('counter', 'c1');
    leases.failRelease = true;
    await a.guard.release('counter', 'c1');
    expect(a.releaseErrors).toEqual(['counter/c1']);
    expect(a.guard.heldCount).toBe(0);
  });
});
