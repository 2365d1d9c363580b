/**
 * The node's {@link ActivationGuard}: an actor activates only while this node holds its KV lease
 * (`activation-lease.ts`), so one actor runs in one place even while nodes' views of the ring disagree.
 *
 * ```
 *  acquire(k) ─► leases.acquire(k, me) ─acquired─────────────────────────────► fence(k) ─► run (load, serve)
 *                        │ held by h
 *                        ├─ h's lease not renewed for ttlMs ─► takeover(h) ─acquired──────────────────┘
 *                        └─ h renewing ─► wait (h hands k off when it sees k is no longer its own), retry
 *                                      ─ past waitMs ─► TimeoutError: the activation is refused
 *  dropExpired()  first thing at every renew interval: leases unconfirmed for ttlMs ─► step down at once
 *  renewAll()     then one pass over every held lease, renewals pipelined (lease-renewal.ts):
 *                 renewed ─► keep · conflict ─► step down · failed ─► keep until ttlMs unconfirmed, then step down
 *  release(k) ─► leases.release(lease)   (after the final snapshot was saved)
 * ```
 *
 * Fencing: why a stale owner can never write after a takeover (and no acknowledged write is lost).
 * JetStream KV has no multi-key transactions, so the lease cannot guard the state key by itself. Instead, after
 * acquiring a lease and before the actor loads, the new owner B does a fencing write on the actor's state key
 * (`state-fence.ts`): it reads the key (value v, revision r) and writes v back on condition that the revision is
 * still r, retrying from the read when it moved. Every state write of the old owner A is conditional on the
 * revision A last read or wrote. Revisions of a KV key only grow, and each successful write makes a new one, so:
 * - a write of A that succeeded before B's fencing write is in v (B's conditional write would have failed and been
 *   retried from a fresh read otherwise), and B loads v, so B's state includes every write A acknowledged;
 * - after B's fencing write succeeds at r' > every revision A knows, each later write of A names a revision ≠ r'
 *   and fails with `ConflictError`; A's persister then never writes again and its actor stops without replying
 *   (with durable acks, nothing A answers after the fence was stored, so nothing acknowledged is lost).
 * The same holds for a key that had no snapshot: the fence creates it (`null`, read back as "no snapshot"), and A's
 * first save (a create) fails. The argument uses no clocks: the TTL and membership decide only *when* B takes over
 * (liveness), never whether A's writes are refused (safety). Leases are fenced on every acquisition (one KV read and
 * one write per activation) because a lease that looked free may have been held by a paused node a moment ago.
 * Step-down (a renewal that conflicts or stays unconfirmed for `ttlMs`) stops the old owner's actors quickly, so
 * they do not go on answering from stale state; it is not what keeps writes safe. After a pause longer than the
 * TTL, the overdue renewal timer fires in the same timer phase as the heartbeat that announces the node again, so
 * `dropExpired` stops its actors before any message routed to it because of that heartbeat can reach them.
 *
 * Takeover is judged by the lease's renewal time only (`mayTakeOver` with `staleAfterMs` = `ttlMs`), not by the
 * membership view: a node back from a pause briefly sees every other member as silent, and must not take over the
 * leases their owners keep renewing.
 *
 * A node that restarts under the same id finds its own leases and keeps them (acquire is idempotent per owner),
 * and fences them like any other.
 */
import type { ActivationGuard } from '@lucent/actors/internal';
import { type Clock, ConflictError, systemClock, TimeoutError } from '@lucent/core/internal';
import { keepProcessAlive } from '../keep-alive.js';
import type { ActivationLeases, Lease } from './activation-lease.js';
import { LeaseOutcomeType } from './activation-lease.js';
import {
  DEFAULT_LEASE_TTL_MS,
  mayTakeOver,
  RenewalResult,
  RenewalVerdict,
  renewalVerdict,
  type TakeoverView,
} from './lease-policy.js';

/** The lease operations the guard uses (`ActivationLeases`; a fake in unit tests). */
export type LeaseStore = Pick<ActivationLeases, 'acquire' | 'takeover' | 'release' | 'renew'>;

/** Default {@link LeaseActivationGuardOptions.retryMs}. */
export const DEFAULT_LEASE_RETRY_MS = 50;
/** Default {@link LeaseActivationGuardOptions.waitMs}. */
export const DEFAULT_LEASE_WAIT_MS = 15_000;

export interface LeaseActivationGuardOptions {
  readonly leases: LeaseStore;
  /** This node's id: the lease owner. Unique per running node (membership reports duplicates). */
  readonly owner: string;
  /** Is this node id a live member in this node's view? Read on every contested acquire. */
  readonly isAlive: (nodeId: string) => boolean;
  /**
   * Lease TTL: a lease not renewed for this long may be taken over even if its owner looks alive, and a holder that
   * could not confirm its lease for this long steps down. Holders must renew well within it. Default 1500 ms.
   * `Infinity`: leases never expire and the membership view alone decides takeovers (for holders that never renew).
   */
  readonly ttlMs?: number;
  /**
   * The fencing write on the actor's state key (`fenceState`), run after every acquisition and before the actor
   * loads; see the module doc. A rejection refuses the activation (the lease is released). Default: none (a store
   * without revisions to fence, e.g. tests).
   */
  readonly fence?: (key: string) => Promise<void>;
  /** Pause between attempts on a lease a live node holds. Default 50 ms. */
  readonly retryMs?: number;
  /** Longest wait for a live holder to hand a key off before the activation is refused. Default 15 s. */
  readonly waitMs?: number;
  /** Reports release failures (the lease then stays until the holder is seen dead or restarts). */
  readonly onReleaseError?: (key: string, error: unknown) => void;
  /**
   * Time source: the wait budget, the pauses and lease confirmation times run on its monotonic `now()` and timers,
   * lease ages are judged against its `wallNow()` (lease times are wall times, written by other nodes). Default
   * `systemClock`.
   */
  readonly clock?: Clock;
}

/** What one renewal pass did. */
export interface RenewalReport {
  /** Leases renewed. */
  readonly renewed: number;
  /** Leases whose renewal failed but which are kept (still within the TTL); retried next pass. */
  readonly failed: number;
  /** Actor keys (`type/id`) this node no longer holds: their actors must stop (step down). */
  readonly lost: readonly string[];
}

/** A held lease and when (monotonic ms) it was last known to be ours. */
interface Held {
  lease: Lease;
  confirmedAt: number;
}

/** See the module doc. One per node. */
export class LeaseActivationGuard implements ActivationGuard {
  readonly #options: LeaseActivationGuardOptions;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** The leases this node holds, by actor key. */
  readonly #held = new Map<string, Held>();
  /** The renewal pass in progress, if any (one at a time; releases wait for it, see {@link release}). */
  #renewing: Promise<RenewalReport> | undefined = undefined;

  constructor(options: LeaseActivationGuardOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Leases held now (for tests and metrics). */
  get heldCount(): number {
    return this.#held.size;
  }

  /** True when this node holds the lease of `key` (`type/id`) as far as it knows. */
  holds(key: string): boolean {
    return this.#held.has(key);
  }

  /**
   * Resolves once this node holds the lease of `type/id` and has fenced its state. Rejects with `TimeoutError` when
   * a live, renewing node kept it for `waitMs`, with the fence's error, or with the KV's error (`TimeoutError`,
   * `NodeUnavailableError`) when JetStream does not answer.
   */
  async acquire(type: string, id: string): Promise<void> {
    const key = `${type}/${id}`;
    const { leases, owner, isAlive } = this.#options;
    const waitMs = this.#options.waitMs ?? DEFAULT_LEASE_WAIT_MS;
    const giveUpAt = this.#clock.now() + waitMs;
    for (;;) {
      const startedAt = this.#clock.now();
      let outcome = await leases.acquire(key, owner);
      if (outcome.type === LeaseOutcomeType.held && mayTakeOver(outcome.holder, this.#takeoverView(isAlive))) {
        outcome = await leases.takeover(outcome.holder, owner);
      }
      if (outcome.type === LeaseOutcomeType.acquired) {
        await this.#fence(key, outcome.lease);
        this.#held.set(key, { lease: outcome.lease, confirmedAt: startedAt });
        return;
      }
      if (this.#clock.now() >= giveUpAt)
        throw new TimeoutError({ target: `activation lease of ${key}`, timeoutMs: waitMs });
      await this.#pause(this.#options.retryMs ?? DEFAULT_LEASE_RETRY_MS);
    }
  }

  #takeoverView(isOwnerAlive: (owner: string) => boolean): TakeoverView {
    const nowMs = this.#clock.wallNow();
    return Number.isFinite(this.#ttlMs) ? { nowMs, isOwnerAlive, staleAfterMs: this.#ttlMs } : { nowMs, isOwnerAlive };
  }

  async #fence(key: string, lease: Lease): Promise<void> {
    const fence = this.#options.fence;
    if (fence === undefined) return;
    try {
      await fence(key);
    } catch (error) {
      // Not admitted: give the lease back so the next attempt (here or elsewhere) starts clean.
      await this.#options.leases.release(lease).catch(() => false);
      throw error;
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => keepProcessAlive(this.#clock.setTimeout(resolve, ms)));
  }

  /**
   * Drops, at once, every lease not confirmed for the TTL (another node may already have taken it over) and returns
   * their actor keys: the caller stops those actors. Synchronous, so it can run before any I/O after a long pause.
   */
  dropExpired(): string[] {
    const now = this.#clock.now();
    const expired: string[] = [];
    for (const [key, held] of this.#held) {
      if (now - held.confirmedAt >= this.#ttlMs) {
        this.#held.delete(key);
        expired.push(key);
      }
    }
    return expired;
  }

  /**
   * One renewal pass over every lease held when it starts: all renewals are sent at once (pipelined on the
   * connection) and the pass resolves when all have answered. Leases that conflict, or that stayed unconfirmed for
   * the TTL, are dropped and reported in `lost`; the caller stops their actors. Never rejects. A pass asked for while
   * one runs returns that one.
   */
  renewAll(): Promise<RenewalReport> {
    this.#renewing ??= this.#renewPass().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renewPass(): Promise<RenewalReport> {
    const entries = [...this.#held.entries()];
    if (entries.length === 0) return { renewed: 0, failed: 0, lost: [] };
    const sentAt = this.#clock.now();
    const leases = this.#options.leases;
    // One closure per held lease per pass (not per message): the renewal's outcome, never a rejection.
    const results = await Promise.all(
      entries.map(([, held]) =>
        leases.renew(held.lease).then(
          (lease): Lease | RenewalResult => lease,
          (error: unknown): RenewalResult => (ConflictError.is(error) ? RenewalResult.conflict : RenewalResult.failed),
        ),
      ),
    );
    const now = this.#clock.now();
    let renewed = 0;
    let failed = 0;
    const lost: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const [key, held] = entries[i] as [string, Held];
      const result = results[i] as Lease | RenewalResult;
      if (this.#held.get(key) !== held) continue; // released meanwhile
      if (typeof result !== 'string' && now - sentAt >= this.#ttlMs) {
        // Renewed, but the answer came after a pause past the TTL: others may have judged it stale meanwhile.
        this.#held.delete(key);
        lost.push(key);
        continue;
      }
      if (typeof result !== 'string') {
        held.lease = result;
        held.confirmedAt = sentAt;
        renewed++;
        continue;
      }
      if (renewalVerdict(result, held.confirmedAt, now, this.#ttlMs) === RenewalVerdict.stepDown) {
        this.#held.delete(key);
        lost.push(key);
      } else failed++;
    }
    return { renewed, failed, lost };
  }

  /** Gives the lease of `type/id` back. Never rejects: a failure goes to `onReleaseError`. */
  async release(type: string, id: string): Promise<void> {
    const key = `${type}/${id}`;
    // A renewal in flight would move the revision under the release, which would then find the lease "not ours".
    if (this.#renewing !== undefined) await this.#renewing;
    const held = this.#held.get(key);
    if (held === undefined) return;
    this.#held.delete(key);
    try {
      await this.#options.leases.release(held.lease);
    } catch (error) {
      this.#options.onReleaseError?.(key, error);
    }
  }
}
