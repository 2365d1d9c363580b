/**
 * What an actor cell needs from around it: the system's services ({@link CellRuntime}) and its supervisor
 * ({@link Supervisor}: the parent cell, or the system for top-level actors).
 */

import type { Clock } from '@lucent/core/internal';
import type { CellLifecycle } from './cell-lifecycle.js';
import type { DeadLetters } from './dead-letters.js';
import type { Dispatcher } from './dispatcher.js';
import type { AskDeadlines } from './pending-ask.js';
import type { ActorSystem, ChildTerminated } from './types.js';

/** Where a failure happened, for {@link CellRuntime.reportError}. */
export type FailurePhase = 'receive' | 'preStart' | 'postStop' | 'childTerminated' | 'stopRequested' | 'escalation';

/** The services of one actor system, shared by all its cells. */
export interface CellRuntime {
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly deadLetters: DeadLetters;
  readonly deadlines: AskDeadlines;
  readonly defaultAskTimeoutMs: number;
  readonly dispatcher: Dispatcher;
  random(): number;
  reportError(error: unknown, actor: string, phase: FailurePhase): void;
}

/** Whoever supervises a cell: its parent cell, or the system for top-level actors. */
export interface Supervisor {
  /** `child` reached STOPPED. */
  childStopped(child: CellLifecycle<unknown>, reason: ChildTerminated['reason'], error: unknown): void;
  /** `child` failed with an `escalate` verdict and is suspended until this supervisor decides. */
  childEscalated(child: CellLifecycle<unknown>, error: unknown): void;
}
