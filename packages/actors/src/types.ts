/**
 * The contract of the actor kernel: what a behavior sees and what a reference offers.
 * Implementations live beside this file (system, ref, mailbox, supervision, timers); function actors
 * (xstate) are built on exactly this surface.
 */
import type { Clock } from '@lucent/core/internal';

/** Default ask timeout when neither the call nor the system sets one. */
export const DEFAULT_ASK_TIMEOUT_MS = 5_000;

export interface AskOptions {
  /** Milliseconds until the ask rejects with the core `TimeoutError`. */
  readonly timeoutMs?: number;
}

/**
 * A handle to an actor. Cheap to copy; stays valid after the actor stops (messages then go to dead letters).
 */
export interface ActorRef<M = unknown> {
  /** Unique path in its system, e.g. `/user/orders/o-1`. */
  readonly path: string;
  /**
   * Enqueues `message`. Never throws: a message to a stopped actor, or one a bounded mailbox drops,
   * becomes a dead letter.
   */
  tell(message: M): void;
  /**
   * Enqueues `message` and resolves with what the behavior's `receive` returns (awaited) for it.
   * Rejects with `TimeoutError` at the deadline, `MailboxFullError` when a bounded mailbox rejects,
   * `ActorStoppedError` when the actor is or becomes stopped before handling it, or the error `receive` threw.
   * Settles exactly once.
   */
  ask<R = unknown>(message: M, options?: AskOptions): Promise<R>;
  /**
   * Graceful stop: the current message finishes (a behavior that holds it is told, see
   * {@link Behavior.stopRequested}); queued ones become dead letters at once (their asks reject with
   * `ActorStoppedError`); children stop, then `postStop` runs. Idempotent: every call returns a promise that
   * resolves when all that is done. Never rejects.
   */
  stop(): Promise<void>;
  /** Messages waiting in the mailbox (not counting the one being processed). */
  readonly mailboxSize: number;
  /** True from the moment a stop begins (not only once it is complete). */
  readonly isStopped: boolean;
}

/** Per-actor timers, keyed so that restarting a timer with the same key replaces it. Cancelled on stop and restart. */
export interface Timers<M> {
  startSingle(key: string, message: M, delayMs: number): void;
  startPeriodic(key: string, message: M, intervalMs: number): void;
  cancel(key: string): void;
  isActive(key: string): boolean;
}

/** What a behavior sees while handling a message. */
export interface ActorContext<M = unknown> {
  readonly self: ActorRef<M>;
  readonly parent: ActorRef | undefined;
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly timers: Timers<M>;
  /** Spawns a child supervised by this actor. */
  spawn<C>(behavior: BehaviorSource<C>, options?: SpawnOptions): ActorRef<C>;
  /** Stops this actor after the current message. */
  stop(): void;
}

/**
 * What an actor does. `receive` handles one message at a time, in arrival order; a returned promise holds the
 * next message until it settles. For an ask, the (awaited) return value is the reply. A throw (or rejection)
 * rejects the ask and is handed to the supervisor.
 */
export interface Behavior<M = unknown> {
  receive(message: M, ctx: ActorContext<M>): unknown;
  /**
   * Runs when an instance starts (inside `spawn`, synchronously, and after each restart). Messages wait until
   * it settles. A throw or rejection is a failure handled by supervision.
   */
  preStart?(ctx: ActorContext<M>): void | Promise<void>;
  /**
   * Runs once per instance that started, after its children stopped (on stop, and before a restart). A throw
   * or rejection is reported (the system's `onError`), never rethrown.
   */
  postStop?(ctx: ActorContext<M>): void | Promise<void>;
  /**
   * Called when a child of this actor has stopped for good (not when it restarts), between messages and ahead
   * of those still queued; handled like a message (one at a time; a throw goes to supervision). Not called
   * while this actor itself stops or restarts (it is then stopping its children on purpose).
   */
  childTerminated?(event: ChildTerminated, ctx: ActorContext<M>): unknown;
  /**
   * Called when a stop (`stop()`, `ctx.stop()`, `terminate()`, or supervision) begins while this instance is busy:
   * a `receive`, `childTerminated` or `preStart` returned a promise that has not settled. The stop waits for that
   * promise, so a behavior that holds its current message on something of its own (a gate, a long wait) settles it
   * here: finish the message (or fail it with a typed error), then the stop completes. Called synchronously inside
   * the call that began the stop, after the queued messages were dead-lettered; at most once per stop, never when
   * nothing is in progress. A throw is reported (the system's `onError`, phase `stopRequested`), never rethrown.
   */
  stopRequested?(ctx: ActorContext<M>): void;
}

/** What a parent learns when a child stops for good. */
export interface ChildTerminated {
  readonly type: 'child.terminated';
  readonly child: ActorRef;
  /**
   * `stopped`: a graceful stop (`stop()` on the child or its context). `failed`: supervision stopped it, because
   * `decide` returned `stop`, the restart budget ran out, or it escalated with no parent actor above it.
   */
  readonly reason: 'stopped' | 'failed';
  /** The failure, when `reason` is `failed`. */
  readonly error?: unknown;
}

/** A behavior, or a factory called on each start and restart so that a restart begins with fresh state. */
export type BehaviorSource<M> = Behavior<M> | (() => Behavior<M>);

export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

export type MailboxOptions =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'bounded'; readonly capacity: number; readonly overflow: OverflowPolicy };

/**
 * What happens to an actor whose behavior failed. `resume`: drop the failure, keep the state, go on with the
 * next message. `restart`: cancel timers, stop children, run `postStop`, wait the backoff, then a fresh instance
 * (from the factory) runs `preStart`; queued messages wait. `stop`: stop for good (the parent is told, reason
 * `failed`). `escalate`: suspend and let the parent handle the error as its own failure, under its own options.
 */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/** How an actor's failures are handled; set per actor at spawn. All fields optional. */
export interface SupervisionOptions {
  /** Chooses the directive per error; default: restart. A `decide` that throws stops the actor. */
  readonly decide?: (error: unknown) => Directive;
  /**
   * Delay before restart n (0-based within the window): `min(maxMs, minMs * 2^n) * (1 + jitter * random)`.
   * Default: none (restart at once).
   */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number; readonly jitter: number };
  /**
   * At most `maxRestarts` (default 10) within `windowMs` (default 60 000); past that the child stops and its
   * parent is told (`childTerminated`, reason `failed`).
   */
  readonly maxRestarts?: number;
  readonly windowMs?: number;
}

export interface SpawnOptions {
  /** Unique among siblings; generated when absent. */
  readonly name?: string;
  readonly mailbox?: MailboxOptions;
  readonly supervision?: SupervisionOptions;
}

/** A message no actor took, with why. */
export interface DeadLetter {
  readonly recipient: string;
  readonly message: unknown;
  /** `late-reply`: `message` is a reply to an ask that had already timed out (or was otherwise settled). */
  readonly reason: 'stopped' | 'mailbox-full' | 'dropped-oldest' | 'dropped-newest' | 'late-reply';
}

export interface ActorSystem {
  readonly name: string;
  readonly clock: Clock;
  /** Spawns a top-level actor under `/user`. */
  spawn<M>(behavior: BehaviorSource<M>, options?: SpawnOptions): ActorRef<M>;
  /** Calls `listener` for every dead letter; returns the unsubscribe function. */
  onDeadLetter(listener: (letter: DeadLetter) => void): () => void;
  /** Stops every actor, children first; resolves when all are stopped. */
  terminate(): Promise<void>;
}
