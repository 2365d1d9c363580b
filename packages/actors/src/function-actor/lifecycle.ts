/**
 * The lifecycle of one function actor activation, as a pure transition function.
 *
 * ```
 *   initializing ──loaded──▶ running ◀──resume── paused
 *        │                    │  ▲  └──pause──────▲ │
 *      failed              failed recovered          │
 *        ▼                    ▼  │                   │
 *        └───────────────▶ recovering                │
 *                                                    │
 *   initializing | running | paused | recovering ──stop──▶ stopping ──stopped──▶ stopped
 *   any state but stopped ──abort(error)──▶ stopped
 * ```
 * `recovered` lands in `paused` instead of `running` when a pause was requested meanwhile (`pauseRequested`).
 */

/** Where an activation is in its life. */
export const LifecycleStatus = {
  Initializing: 'initializing',
  Running: 'running',
  Paused: 'paused',
  Recovering: 'recovering',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
export type LifecycleStatus = (typeof LifecycleStatus)[keyof typeof LifecycleStatus];

/** What moves the lifecycle. */
export type LifecycleEvent =
  | { readonly type: 'loaded' }
  | { readonly type: 'failed' }
  | { readonly type: 'recovered'; readonly pauseRequested: boolean }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'stop' }
  | { readonly type: 'stopped' }
  | { readonly type: 'abort' };

/**
 * The status after `event`, or `undefined` when `event` does not apply in `status` (the caller ignores it: e.g.
 * `pause` while already paused). Pure and total.
 */
export function nextLifecycleStatus(status: LifecycleStatus, event: LifecycleEvent): LifecycleStatus | undefined {
  switch (event.type) {
    case 'loaded':
      return status === 'initializing' ? 'running' : undefined;
    case 'failed':
      return status === 'initializing' || status === 'running' || status === 'paused' ? 'recovering' : undefined;
    case 'recovered':
      if (status !== 'recovering') return undefined;
      return event.pauseRequested ? 'paused' : 'running';
    case 'pause':
      return status === 'running' ? 'paused' : undefined;
    case 'resume':
      return status === 'paused' ? 'running' : undefined;
    case 'stop':
      return status === 'stopping' || status === 'stopped' ? undefined : 'stopping';
    case 'stopped':
      return status === 'stopping' ? 'stopped' : undefined;
    case 'abort':
      return status === 'stopped' ? undefined : 'stopped';
  }
}

/** One observed lifecycle transition of the activation `(type, id)`. */
export interface LifecycleChange {
  readonly type: string;
  readonly id: string;
  readonly from: LifecycleStatus;
  readonly to: LifecycleStatus;
  /** Why the activation failed or stopped abnormally (`RecoveryFailedError`, `ConflictError`, a store error). */
  readonly error?: unknown;
}

/** Receives every lifecycle transition, synchronously, in the order they happen. */
export type LifecycleListener = (change: LifecycleChange) => void;
