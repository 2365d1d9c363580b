/**
 * When a node may take over another node's activation lease: a pure decision, carried out by
 * `ActivationLeases.takeover` (which stays revision-checked, so a wrong judgement can cost a race, never two
 * winners).
 */
import { ConfigError } from '@lucent/core/internal';
import type { Lease } from './activation-lease.js';

/** What the caller knows when it finds a lease held by someone else. */
export interface TakeoverView {
  /** Wall-clock now, in the same clock as the lease times (the clock's `wallNow()`). */
  readonly nowMs: number;
  /** The caller's membership view: is this node id alive (heartbeating)? */
  readonly isOwnerAlive: (owner: string) => boolean;
  /**
   * The lease TTL, when holders renew their leases (the node's renewal pass does): then a lease may be taken over
   * only once it has gone unrenewed for longer than this, whatever the membership view says. Default: none
   * (membership alone decides; for holders that never renew).
   */
  readonly staleAfterMs?: number;
}

/**
 * True when `holder` may be taken over. With `staleAfterMs` (renewing holders): only when the lease has not been
 * renewed for longer than that. The owner's renewals are the proof of life that counts: a node that comes back
 * from a pause (SIGSTOP, GC stall) sees every other member silent for a moment and must not take over leases that
 * their live owners keep renewing. Without it: when the owner is dead in the caller's membership view.
 *
 * Clock skew between nodes shifts the staleness test by the skew (renewal times are the holder's wall clock); keep
 * `staleAfterMs` well above it. Either way a wrong judgement costs availability, never safety: takeovers are
 * revision-checked and the new owner fences the state before loading it (`lease-activation-guard.ts`).
 */
export function mayTakeOver(holder: Lease, view: TakeoverView): boolean {
  if (view.staleAfterMs !== undefined) return view.nowMs - holder.renewedAtMs > view.staleAfterMs;
  return !view.isOwnerAlive(holder.owner);
}

export const DEFAULT_LEASE_TTL_MS = 1_500;
/** Default period of the node's batched renewal pass: three passes fit in one TTL, so two may fail. */
export const DEFAULT_LEASE_RENEW_INTERVAL_MS = 500;

/** What one lease's renewal attempt came to, as the renewal pass saw it. */
export const RenewalResult = { renewed: 'renewed', conflict: 'conflict', failed: 'failed' } as const;
export type RenewalResult = (typeof RenewalResult)[keyof typeof RenewalResult];

/** What the holder does next with a lease after a renewal attempt. */
export const RenewalVerdict = {
  /** Still ours (renewed now, or a transient failure well within the TTL): keep serving. */
  keep: 'keep',
  /** Taken over, released or expired in the store, or unconfirmed for a whole TTL: stop the actor (step down). */
  stepDown: 'step-down',
} as const;
export type RenewalVerdict = (typeof RenewalVerdict)[keyof typeof RenewalVerdict];

/**
 * The holder's decision after one renewal attempt. `confirmedAtMs` is when (monotonic ms of the holder) the lease
 * was last known to be ours: its acquisition or its last successful renewal. A conflict means someone else wrote the
 * lease key (takeover) or it is gone: step down. A failure (timeout, NATS down) keeps the lease only while less than
 * `ttlMs` has passed since `confirmedAtMs`; past that, another node may have judged it stale and taken it over, so
 * the holder steps down instead of guessing (its writes are fenced anyway, this only stops it serving).
 */
export function renewalVerdict(
  result: RenewalResult,
  confirmedAtMs: number,
  nowMs: number,
  ttlMs: number,
): RenewalVerdict {
  if (result === RenewalResult.renewed) return RenewalVerdict.keep;
  if (result === RenewalResult.conflict) return RenewalVerdict.stepDown;
  return nowMs - confirmedAtMs >= ttlMs ? RenewalVerdict.stepDown : RenewalVerdict.keep;
}

/**
 * Checks lease timing and throws `ConfigError` (subject `lease`) when the TTL or the renewal period is not a positive
 * finite number, or the renewal period is not below the TTL (a holder must renew before others may judge its lease
 * stale; at least two renewals per TTL are advised).
 */
export function checkLeaseTiming(ttlMs: number, renewIntervalMs: number): void {
  for (const [field, value] of [
    ['leaseTtlMs', ttlMs],
    ['leaseRenewIntervalMs', renewIntervalMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError({ subject: 'lease', field, reason: 'must be positive and finite' });
    }
  }
  if (renewIntervalMs >= ttlMs) {
    throw new ConfigError({ subject: 'lease', field: 'leaseRenewIntervalMs', reason: 'must be below leaseTtlMs' });
  }
}
