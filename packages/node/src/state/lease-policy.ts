/**
 * When a node may take over another node's activation lease: a pure decision, carried out by
 * `ActivationLeases.takeover` (which stays revision-checked, so a wrong judgement can cost a race, never two
 * winners).
 */
import type { Lease } from './activation-lease.js';

/** What the caller knows when it finds a lease held by someone else. */
export interface TakeoverView {
  /** Wall-clock now, in the same clock as the lease times (the clock's `wallNow()`). */
  readonly nowMs: number;
  /** The caller's membership view: is this node id alive (heartbeating)? */
  readonly isOwnerAlive: (owner: string) => boolean;
  /**
   * Also treat a lease not renewed for longer than this as abandoned, even if its owner looks alive. Only meaningful
   * when holders renew more often than this. Default: never (membership alone decides).
   */
  readonly staleAfterMs?: number;
}

/**
 * True when `holder` may be taken over: its owner is dead in the caller's membership view, or (with
 * `staleAfterMs`) it has not been renewed for longer than that. Clock skew between nodes shifts the second test by
 * the skew; keep `staleAfterMs` well above it.
 */
export function mayTakeOver(holder: Lease, view: TakeoverView): boolean {
  if (!view.isOwnerAlive(holder.owner)) return true;
  return view.staleAfterMs !== undefined && view.nowMs - holder.renewedAtMs > view.staleAfterMs;
}
