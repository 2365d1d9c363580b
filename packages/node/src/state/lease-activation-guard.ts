/**
 * The node's {@link ActivationGuard}: an actor activates only while this node holds its KV lease
 * (`activation-lease.ts`), so one actor runs in one place even while nodes' views of the ring disagree.
 *
 * ```
 *  acquire(k) ─► leases.acquire(k, me) ─acquired─► run
 *                        │ held by h
 *                        ├─ h dead in my membership view ─► takeover(h) ─acquired─► run
 *                        └─ h alive ─► wait (h hands k off when it sees k is no longer its own), retry
 *                                      ─ past waitMs ─► TimeoutError: the activation is refused
 *  release(k) ─► leases.release(lease)   (after the final snapshot was saved)
 * ```
 * A node that restarts under the same id finds its own leases and keeps them (acquire is idempotent per owner).
 */
import type { ActivationGuard } from '@lucent/actors/internal';
import { type Clock, systemClock, TimeoutError } from '@lucent/core/internal';
import { keepProcessAlive } from '../keep-alive.js';
import type { ActivationLeases, Lease } from './activation-lease.js';
import { LeaseOutcomeType } from './activation-lease.js';
import { mayTakeOver } from './lease-policy.js';

/** The lease operations the guard uses (`ActivationLeases`; a fake in unit tests). */
export type LeaseStore = Pick<ActivationLeases, 'acquire' | 'takeover' | 'release'>;

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
  /** Pause between attempts on a lease a live node holds. Default 50 ms. */
  readonly retryMs?: number;
  /** Longest wait for a live holder to hand a key off before the activation is refused. Default 15 s. */
  readonly waitMs?: number;
  /** Reports release failures (the lease then stays until the holder is seen dead or restarts). */
  readonly onReleaseError?: (key: string, error: unknown) => void;
  /**
   * Time source: the wait budget and the pauses run on its monotonic `now()` and timers, lease ages are judged
   * against its `wallNow()` (lease times are wall times, written by other nodes). Default `systemClock`.
   */
  readonly clock?: Clock;
}

/** See the module doc. One per node. */
export class LeaseActivationGuard implements ActivationGuard {
  readonly #options: LeaseActivationGuardOptions;
  readonly #clock: Clock;
  /** The leases this node holds, by actor key. */
  readonly #held = new Map<string, Lease>();

  constructor(options: LeaseActivationGuardOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Leases held now (for tests and metrics). */
  get heldCount(): number {
    return this.#held.size;
  }

  /**
   * Resolves once this node holds the lease of `type/id`. Rejects with `TimeoutError` when a live node kept it
   * for `waitMs`, or with the KV's error (`TimeoutError`, `NodeUnavailableError`) when JetStream does not answer.
   */
  async acquire(type: string, id: string): Promise<void> {
    const key = `${type}/${id}`;
    const { leases, owner, isAlive } = this.#options;
    const waitMs = this.#options.waitMs ?? DEFAULT_LEASE_WAIT_MS;
    const giveUpAt = this.#clock.now() + waitMs;
    for (;;) {
      let outcome = await leases.acquire(key, owner);
      if (
        outcome.type === LeaseOutcomeType.held &&
        mayTakeOver(outcome.holder, { nowMs: this.#clock.wallNow(), isOwnerAlive: isAlive })
      ) {
        outcome = await leases.takeover(outcome.holder, owner);
      }
      if (outcome.type === LeaseOutcomeType.acquired) {
        this.#held.set(key, outcome.lease);
        return;
      }
      if (this.#clock.now() >= giveUpAt)
        throw new TimeoutError({ target: `activation lease of ${key}`, timeoutMs: waitMs });
      await this.#pause(this.#options.retryMs ?? DEFAULT_LEASE_RETRY_MS);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => keepProcessAlive(this.#clock.setTimeout(resolve, ms)));
  }

  /** Gives the lease of `type/id` back. Never rejects: a failure goes to `onReleaseError`. */
  async release(type: string, id: string): Promise<void> {
    const key = `${type}/${id}`;
    const lease = this.#held.get(key);
    if (lease === undefined) return;
    this.#held.delete(key);
    try {
      await this.#options.leases.release(lease);
    } catch (error) {
      this.#options.onReleaseError?.(key, error);
    }
  }
}
