/**
 * Lease TTL, renewal and step-down on a simulated clock: the guard's batched renewal pass, expiry-based takeover,
 * the fence before admission, and the node extension that runs one pass per interval and stops lost actors.
 */
import { ConfigError, ConflictError, SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import type { ShardContext, ShardExtension } from '../src/shard/shard-context.js';
import { type Lease, type LeaseOutcome, LeaseOutcomeType } from '../src/state/activation-lease.js';
import { LeaseActivationGuard, type LeaseStore } from '../src/state/lease-activation-guard.js';
import {
  checkLeaseTiming,
  DEFAULT_LEASE_RENEW_INTERVAL_MS,
  DEFAULT_LEASE_TTL_MS,
  RenewalResult,
  RenewalVerdict,
  renewalVerdict,
} from '../src/state/lease-policy.js';
import { LeaseRenewalExtension } from '../src/state/lease-renewal.js';

/** A renewal held open until the test answers it. */
interface PendingRenewal {
  readonly lease: Lease;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
}

/** KV lease semantics in memory; lease times from the clock; renewals answered by the test (or at once). */
class FakeLeases implements LeaseStore {
  readonly table = new Map<string, Lease>();
  readonly pending: PendingRenewal[] = [];
  holdRenewals = false;
  #revision = 0;

  constructor(readonly clock: SimulatedClock) {}

  async acquire(key: string, owner: string): Promise<LeaseOutcome> {
    const holder = this.table.get(key);
    if (holder !== undefined && holder.owner !== owner) return { type: LeaseOutcomeType.held, holder };
    return { type: LeaseOutcomeType.acquired, lease: holder ?? this.write(key, owner) };
  }

  async takeover(holder: Lease, owner: string): Promise<LeaseOutcome> {
    if (this.table.get(holder.key)?.revision !== holder.revision) return this.acquire(holder.key, owner);
    return { type: LeaseOutcomeType.acquired, lease: this.write(holder.key, owner) };
  }

  renew(lease: Lease): Promise<Lease> {
    if (this.holdRenewals) {
      return new Promise((resolve, reject) => this.pending.push({ lease, resolve, reject }));
    }
    return this.renewNow(lease);
  }

  async renewNow(lease: Lease): Promise<Lease> {
    if (this.table.get(lease.key)?.revision !== lease.revision) {
      throw new ConflictError({ key: lease.key, expectedRevision: lease.revision, actualRevision: null });
    }
    return this.write(lease.key, lease.owner);
  }

  async release(lease: Lease): Promise<boolean> {
    if (this.table.get(lease.key)?.revision !== lease.revision) return false;
    this.table.delete(lease.key);
    return true;
  }

  write(key: string, owner: string): Lease {
    const now = this.clock.wallNow();
    const lease = { key, owner, acquiredAtMs: now, renewedAtMs: now, revision: ++this.#revision };
    this.table.set(key, lease);
    return lease;
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function guardOf(leases: FakeLeases, owner: string, alive: Set<string>, fence?: (key: string) => Promise<void>) {
  return new LeaseActivationGuard({
    leases,
    owner,
    isAlive: (id) => alive.has(id),
    ttlMs: 1_500,
    clock: leases.clock,
    ...(fence === undefined ? {} : { fence }),
  });
}

describe('lease timing (pure)', () => {
  it('keeps a renewed lease, steps down on a conflict, and on failures only once the TTL is unconfirmed', () => {
    expect(renewalVerdict(RenewalResult.renewed, 0, 10_000, 1_500)).toBe(RenewalVerdict.keep);
    expect(renewalVerdict(RenewalResult.conflict, 1_000, 1_001, 1_500)).toBe(RenewalVerdict.stepDown);
    expect(renewalVerdict(RenewalResult.failed, 1_000, 2_499, 1_500)).toBe(RenewalVerdict.keep);
    expect(renewalVerdict(RenewalResult.failed, 1_000, 2_500, 1_500)).toBe(RenewalVerdict.stepDown);
  });

  it('checks TTL and renewal period with a typed error', () => {
    expect(() => checkLeaseTiming(DEFAULT_LEASE_TTL_MS, DEFAULT_LEASE_RENEW_INTERVAL_MS)).not.toThrow();
    for (const [ttl, renew] of [
      [1_000, 1_000],
      [0, 10],
      [1_000, Number.NaN],
    ] as const) {
      let error: unknown;
      try {
        checkLeaseTiming(ttl, renew);
      } catch (e) {
        error = e;
      }
      expect(ConfigError.is(error)).toBe(true);
    }
  });
});

describe('LeaseActivationGuard: TTL, renewal and fencing', () => {
  it('renews every held lease in one pass with all renewals in flight at once', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    const guard = guardOf(leases, 'a', new Set(['a']));
    for (const id of ['1', '2', '3']) await guard.acquire('counter', id);
    leases.holdRenewals = true;
    const pass = guard.renewAll();
    await settle();
    // Pipelined: the three renewals are out before any has answered.
    expect(leases.pending.map((p) => p.lease.key)).toEqual(['counter/1', 'counter/2', 'counter/3']);
    expect(guard.renewAll()).toBe(pass); // a second pass asked meanwhile is the same pass
    for (const p of leases.pending) p.resolve(await leases.renewNow(p.lease));
    expect(await pass).toEqual({ renewed: 3, failed: 0, lost: [] });
    // The next pass names the renewed revisions: it succeeds again.
    leases.holdRenewals = false;
    expect(await guard.renewAll()).toEqual({ renewed: 3, failed: 0, lost: [] });
  });

  it('reports a lease taken over as lost (step down) and stops renewing it', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    const guard = guardOf(leases, 'a', new Set(['a']));
    await guard.acquire('counter', 'x');
    await guard.acquire('counter', 'y');
    leases.write('counter/x', 'b'); // b took it over
    expect(await guard.renewAll()).toEqual({ renewed: 1, failed: 0, lost: ['counter/x'] });
    expect(guard.holds('counter/x')).toBe(false);
    expect(guard.heldCount).toBe(1);
    // Its release later finds nothing of ours to delete.
    await guard.release('counter', 'x');
    expect(leases.table.get('counter/x')?.owner).toBe('b');
  });

  it('keeps a lease through failed renewals within the TTL and steps down once it is unconfirmed for the TTL', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    const guard = guardOf(leases, 'a', new Set(['a']));
    await guard.acquire('counter', 'x');
    leases.holdRenewals = true;
    const fail = async (report: Promise<unknown>) => {
      await settle();
      for (const p of leases.pending.splice(0)) p.reject(new Error('kv timeout'));
      return report;
    };
    clock.advance(500);
    expect(await fail(guard.renewAll())).toEqual({ renewed: 0, failed: 1, lost: [] });
    clock.advance(999);
    expect(await fail(guard.renewAll())).toEqual({ renewed: 0, failed: 1, lost: [] });
    clock.advance(1);
    expect(await fail(guard.renewAll())).toEqual({ renewed: 0, failed: 0, lost: ['counter/x'] });
  });

  it('drops leases unconfirmed for the TTL at once (after a pause), and a renewal answered past the TTL', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    const guard = guardOf(leases, 'a', new Set(['a']));
    await guard.acquire('counter', 'x');
    clock.advance(1_000);
    await guard.acquire('counter', 'y');
    clock.advance(499);
    expect(guard.dropExpired()).toEqual([]);
    clock.advance(1); // x: 1500 ms unconfirmed
    expect(guard.dropExpired()).toEqual(['counter/x']);
    expect(guard.holds('counter/y')).toBe(true);
    leases.holdRenewals = true;
    const pass = guard.renewAll();
    await settle();
    clock.advance(1_500); // paused while the renewal was out
    for (const p of leases.pending.splice(0)) p.resolve(await leases.renewNow(p.lease));
    expect(await pass).toEqual({ renewed: 0, failed: 0, lost: ['counter/y'] });
  });

  it('does not take over a freshly renewed lease whose owner looks dead (a view after a pause)', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    leases.write('counter/x', 'b');
    const guard = new LeaseActivationGuard({
      leases,
      owner: 'a',
      isAlive: () => false,
      ttlMs: 1_500,
      clock,
      waitMs: 100,
    });
    const attempt = guard.acquire('counter', 'x').catch((error: unknown) => error);
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(50);
    }
    expect(((await attempt) as { code?: string }).code).toBe('LUCENT_TIMEOUT');
    expect(leases.table.get('counter/x')?.owner).toBe('b');
  });

  it('takes over a lease not renewed for the TTL even while its owner looks alive, not before', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    leases.write('counter/x', 'b');
    const guard = guardOf(leases, 'a', new Set(['a', 'b']));
    clock.advance(1_400);
    const early = guard.acquire('counter', 'x');
    await settle();
    expect(leases.table.get('counter/x')?.owner).toBe('b'); // still fresh: a waits
    clock.advance(200); // past the TTL since b's last renewal; a's next retry takes it over
    for (let i = 0; i < 10 && !guard.holds('counter/x'); i++) {
      clock.advance(50);
      await settle();
    }
    await early;
    expect(leases.table.get('counter/x')?.owner).toBe('a');
  });

  it('fences after every acquisition, before admitting; a failed fence refuses and gives the lease back', async () => {
    const clock = new SimulatedClock();
    const leases = new FakeLeases(clock);
    const fenced: string[] = [];
    let failFence = false;
    const guard = guardOf(leases, 'a', new Set(['a']), async (key) => {
      fenced.push(key);
      if (failFence) throw new Error('state kv down');
    });
    await guard.acquire('counter', 'x');
    expect(fenced).toEqual(['counter/x']);
    failFence = true;
    await expect(guard.acquire('counter', 'y')).rejects.toThrow('state kv down');
    expect(guard.holds('counter/y')).toBe(false);
    expect(leases.table.has('counter/y')).toBe(false);
  });
});

describe('LeaseRenewalExtension', () => {
  it('runs one pass per interval and stops the actors whose lease was lost', async () => {
    const clock = new SimulatedClock();
    const reports = [
      { renewed: 2, failed: 0, lost: [] },
      { renewed: 1, failed: 0, lost: ['counter/x'] },
    ];
    let passes = 0;
    const stopped: string[] = [];
    const logs: string[] = [];
    const context = {
      actors: {
        stopWhere: async (predicate: (type: string, id: string) => boolean) => {
          for (const [type, id] of [
            ['counter', 'x'],
            ['counter', 'y'],
          ] as const)
            if (predicate(type, id)) stopped.push(`${type}/${id}`);
        },
      },
      logger: {
        warn: (_o: unknown, msg: string) => logs.push(msg),
        info: (_o: unknown, msg: string) => logs.push(msg),
      },
    } as unknown as ShardContext;
    const extension = new LeaseRenewalExtension({
      intervalMs: 500,
      clock,
      renewer: () => ({
        dropExpired: () => [],
        renewAll: async () => reports[passes++] ?? { renewed: 0, failed: 0, lost: [] },
      }),
    });
    await extension.start(context);
    clock.advance(499);
    await settle();
    expect(passes).toBe(0);
    clock.advance(1);
    await settle();
    expect(passes).toBe(1);
    expect(stopped).toEqual([]);
    clock.advance(500);
    await settle();
    await settle();
    expect(passes).toBe(2);
    expect(stopped).toEqual(['counter/x']);
    expect(logs).toContain('actors.lease_lost');
    // Shutdown's early hooks leave renewal running: the actors' final saves still need their leases.
    const hooks: ShardExtension = extension;
    await hooks.beginShutdown?.();
    await hooks.stop?.();
    clock.advance(500);
    await settle();
    expect(passes).toBe(3);
    await extension.afterActorsStopped();
    clock.advance(5_000);
    await settle();
    expect(passes).toBe(3);
  });
});
