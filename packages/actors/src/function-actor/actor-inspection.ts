/**
 * What an operator may see of one activation (`lucent actors`, `lucent actor`, the dashboard): its lifecycle phase,
 * the xstate machine's current state and, on request, its context, the messages waiting, and the revision of the
 * last snapshot read or written. Plain data, copied at the moment of the call (safe to encode and send).
 */
import type { LifecycleStatus } from './lifecycle.js';

export interface ActorInspection {
  readonly type: string;
  readonly id: string;
  readonly status: LifecycleStatus;
  /** The machine's state value (`'idle'`, `{ open: 'busy' }`), `undefined` while initializing or after a failure. */
  readonly state?: unknown;
  /** Messages queued in the kernel mailbox, not yet handled. */
  readonly mailboxSize: number;
  /** Revision of the last snapshot read or written; `null` when none is stored yet. */
  readonly savedRevision: number | null;
  /** The machine's context (only when asked for: it may be large). */
  readonly context?: unknown;
}
