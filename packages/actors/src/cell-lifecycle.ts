/**
 * The lifecycle half of an actor cell: starting an instance, carrying out supervision verdicts (resume,
 * restart with backoff, stop, escalate), children, and the graceful stop. {@link ActorCell} adds the message
 * path (tell, ask, drain) on top; the two are one object so that `tell` stays a single call.
 *
 * ```
 *  STARTING ──preStart ok──> RUNNING ──failure: restart──> SUSPENDED ──backoff + cleanup──> STARTING
 *     │                        │  ▲ resume                     │ (escalate: waits for the parent)
 *     └────────── stop / failure: stop ──────> STOPPING ──children, postStop──> STOPPED
 * ```
 */

import type { TimerHandle } from '@lucent/core/internal';
import { ActorStoppedError, MailboxFullError } from '@lucent/core/internal';
import { CellContext } from './actor-context.js';
import type { CellRuntime, FailurePhase, Supervisor } from './cell-runtime.js';
import { Mailbox, UNBOUNDED, type UndeliveredReason } from './mailbox.js';
import type { PendingAsk } from './pending-ask.js';
import { RingQueue } from './ring-queue.js';
import { type ResolvedSupervision, resolveSupervision, superviseFailure } from './supervision.js';
import { ActorTimers } from './timers.js';
import type { ActorRef, AskOptions, Behavior, BehaviorSource, ChildTerminated, SpawnOptions } from './types.js';
import { failureTypeError } from './validation.js';

export const STARTING = 0;
export const RUNNING = 1;
export const SUSPENDED = 2;
export const STOPPING = 3;
export const STOPPED = 4;

const NO_RESTARTS: readonly number[] = [];
const IDLE: Behavior<never> = { receive: () => undefined };

/** Bits of {@link CellLifecycle.flags}: one small integer instead of a field (8 bytes) per rarely set boolean. */
const FINISHING = 1;
const SUSPENDED_BY_ESCALATION = 2;
const INSTANCE_ALIVE = 4;

/**
 * What only stopping, restarting or supervised actors need, created on first use: an idle actor that never fails
 * or stops pays one null field instead of seven.
 */
class RareCellState {
  stopPromise: Promise<void> | null = null;
  resolveStopped: (() => void) | null = null;
  restarts: readonly number[] = NO_RESTARTS;
  restartTimer: TimerHandle | null = null;
  restartCleanup: Promise<void> | null = null;
  terminationReason: ChildTerminated['reason'] = 'stopped';
  terminationError: unknown = undefined;
}

/** The children of a cell, with the counter for generated names (so a childless cell has neither). */
export class ChildCells extends Map<string, CellLifecycle<unknown>> {
  generated = 0;
}

interface Escalated {
  readonly type: 'child.escalated';
  readonly child: CellLifecycle<unknown>;
  readonly error: unknown;
}
/** What a cell handles between messages, ahead of its mailbox. */
export type SystemEvent = ChildTerminated | Escalated;

/** State and lifecycle of one actor; see the module comment. Only {@link ActorCell} extends it. */
export abstract class CellLifecycle<M> implements ActorRef<M>, Supervisor {
  readonly context: CellContext<M>;
  protected status = STARTING;
  /** A receive, hook or preStart is running or awaiting: nothing else may run. */
  protected busy = false;
  protected scheduled = false;
  protected behavior: Behavior<M> = IDLE;
  protected readonly mailbox: Mailbox;
  protected systemQueue: RingQueue<SystemEvent> | null = null;
  protected children: ChildCells | null = null;
  private flags = 0;
  private timersImpl: ActorTimers<M> | null = null;
  private readonly supervision: ResolvedSupervision;
  private rare: RareCellState | null = null;

  constructor(
    protected readonly runtime: CellRuntime,
    private readonly supervisor: Supervisor,
    readonly path: string,
    private readonly source: BehaviorSource<M>,
    options: SpawnOptions | undefined,
  ) {
    this.mailbox = new Mailbox(options?.mailbox ?? UNBOUNDED, this, path);
    this.supervision = resolveSupervision(options?.supervision, path);
    this.context = new CellContext(this);
  }

  /** The last segment of {@link path}, unique among siblings (computed: read only when a child stops). */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1);
  }

  /** @internal The parent actor (the supervising cell); `undefined` for a top-level actor. */
  get parentRef(): ActorRef | undefined {
    return this.supervisor instanceof CellLifecycle ? (this.supervisor as CellLifecycle<unknown>) : undefined;
  }

  /** @internal The system's services (for the context's `system` and `clock`). */
  get runtimeServices(): CellRuntime {
    return this.runtime;
  }

  private get rareState(): RareCellState {
    this.rare ??= new RareCellState();
    return this.rare;
  }

  /** @internal A promise that resolves once this actor is STOPPED (the caller checked it is not yet). */
  protected stoppedPromise(): Promise<void> {
    const rare = this.rareState;
    rare.stopPromise ??= new Promise<void>((resolve) => {
      rare.resolveStopped = resolve;
    });
    return rare.stopPromise;
  }

  abstract tell(message: M): void;
  abstract ask<R = unknown>(message: M, options?: AskOptions): Promise<R>;
  abstract stop(): Promise<void>;
  /** @internal Spawns a child supervised by this cell. */
  abstract spawnChild<C>(source: BehaviorSource<C>, options: SpawnOptions | undefined): ActorRef<C>;
  /** @internal Runs queued messages (called by the dispatcher). */
  abstract drain(): void;

  /** Messages waiting (not counting the one being processed). */
  get mailboxSize(): number {
    return this.mailbox.size;
  }

  /** True from the moment a stop begins (messages then become dead letters). */
  get isStopped(): boolean {
    return this.status >= STOPPING;
  }

  /** This actor's timers, created on first use. */
  get timers(): ActorTimers<M> {
    this.timersImpl ??= new ActorTimers<M>(this.runtime.clock, this);
    return this.timersImpl;
  }

  /** @internal Called by the mailbox for a message it turns away or evicts. */
  undelivered(message: unknown, ask: PendingAsk | undefined, reason: UndeliveredReason): void {
    this.runtime.deadLetters.publish(this.path, message, reason);
    ask?.reject(new MailboxFullError({ actor: this.path, capacity: this.mailbox.capacity }));
  }

  /** @internal Begins a stop unless one is under way; finishes at once when no message is running. */
  requestStop(reason: ChildTerminated['reason'], error: unknown): void {
    if (this.status >= STOPPING) return;
    this.status = STOPPING;
    const rare = this.rare ?? (reason === 'stopped' && error === undefined ? null : this.rareState);
    if (rare !== null) {
      rare.terminationReason = reason;
      rare.terminationError = error;
      if (rare.restartTimer !== null) {
        this.runtime.clock.clearTimeout(rare.restartTimer);
        rare.restartTimer = null;
      }
    }
    // Queued messages will never run: dead-letter them (and fail their asks) now, not after the current one.
    this.rejectQueued();
    if (!this.busy) this.finishStop();
    else this.notifyStopRequested();
  }

  /** The stop waits for the message in progress: let the behavior know, in case it is what holds it. */
  private notifyStopRequested(): void {
    const hook = this.behavior.stopRequested;
    if (hook === undefined) return;
    try {
      hook.call(this.behavior, this.context);
    } catch (error) {
      this.runtime.reportError(error, this.path, 'stopRequested');
    }
  }

  /** @internal */
  childStopped(child: CellLifecycle<unknown>, reason: ChildTerminated['reason'], error: unknown): void {
    if (this.children?.get(child.name) === child) this.children.delete(child.name);
    // While this actor stops or restarts it is stopping its children itself: no news for the behavior.
    if ((this.status === RUNNING || this.status === STARTING) && this.behavior.childTerminated !== undefined) {
      const event: ChildTerminated =
        error === undefined
          ? { type: 'child.terminated', child, reason }
          : { type: 'child.terminated', child, reason, error };
      this.enqueueSystem(event);
    }
  }

  /** @internal The failure is handled like this actor's own, between messages. */
  childEscalated(child: CellLifecycle<unknown>, error: unknown): void {
    if (this.status < STOPPING) this.enqueueSystem({ type: 'child.escalated', child, error });
  }

  /** @internal The supervisor chose resume for an escalated failure: carry on, with suspended descendants. */
  resumeAfterEscalation(): void {
    if (this.status !== SUSPENDED || (this.flags & SUSPENDED_BY_ESCALATION) === 0) return;
    this.flags &= ~SUSPENDED_BY_ESCALATION;
    this.status = RUNNING;
    if (this.children !== null) for (const child of this.children.values()) child.resumeAfterEscalation();
    this.scheduleDrain();
  }

  /** @internal Creates a fresh behavior instance and runs its preStart. */
  start(): void {
    this.status = STARTING;
    let behavior: Behavior<M>;
    try {
      behavior = typeof this.source === 'function' ? this.source() : this.source;
      if (typeof behavior?.receive !== 'function') throw failureTypeError(this.path);
    } catch (error) {
      this.fail(error, 'preStart', undefined);
      return;
    }
    this.behavior = behavior;
    this.flags |= INSTANCE_ALIVE;
    if (behavior.preStart === undefined) {
      this.started();
      return;
    }
    let result: unknown;
    this.busy = true;
    try {
      result = behavior.preStart(this.context);
    } catch (error) {
      this.busy = false;
      this.fail(error, 'preStart', undefined);
      return;
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        () => this.started(),
        (error: unknown) => {
          this.busy = false;
          if (this.status === STOPPING) this.finishStop();
          else this.fail(error, 'preStart', undefined);
        },
      );
    } else {
      this.started();
    }
  }

  protected started(): void {
    this.busy = false;
    if (this.status === STOPPING) {
      this.finishStop();
      return;
    }
    if (this.status !== STARTING) return;
    this.status = RUNNING;
    this.scheduleDrain();
  }

  protected scheduleDrain(): void {
    if (this.scheduled) return;
    if (this.mailbox.size === 0 && (this.systemQueue === null || this.systemQueue.length === 0)) return;
    this.scheduled = true;
    this.runtime.dispatcher.schedule(this);
  }

  private enqueueSystem(event: SystemEvent): void {
    this.systemQueue ??= new RingQueue<SystemEvent>(4);
    this.systemQueue.push(event);
    if (this.status === RUNNING && !this.busy) this.scheduleDrain();
  }

  /** Carries out the supervision verdict for a failure of this actor (or one escalated from `from`). */
  protected fail(error: unknown, phase: FailurePhase, from: CellLifecycle<unknown> | undefined): void {
    this.runtime.reportError(error, this.path, phase);
    if (this.status !== RUNNING && this.status !== STARTING) return;
    const { clock } = this.runtime;
    const verdict = superviseFailure(this.supervision, {
      error,
      restarts: this.rare?.restarts ?? NO_RESTARTS,
      now: clock.now(),
      random: this.runtime.random(),
    });
    switch (verdict.directive) {
      case 'resume':
        from?.resumeAfterEscalation();
        if (this.status === STARTING) this.started();
        return;
      case 'restart':
        this.rareState.restarts = verdict.restarts;
        this.beginRestart(verdict.delayMs);
        return;
      case 'stop':
        this.requestStop('failed', error);
        return;
      case 'escalate':
        this.status = SUSPENDED;
        this.flags |= SUSPENDED_BY_ESCALATION;
        this.supervisor.childEscalated(this as CellLifecycle<unknown>, error);
        return;
    }
  }

  /**
   * Restart: timers are cancelled at once and the old instance retired (children stopped, then postStop)
   * while the backoff runs; the fresh instance starts when both are done. The mailbox keeps its messages.
   */
  private beginRestart(delayMs: number): void {
    this.status = SUSPENDED;
    this.timersImpl?.cancelAll();
    const rare = this.rareState;
    const cleanup = this.retireInstance();
    rare.restartCleanup = cleanup;
    const due = (): void => {
      rare.restartTimer = null;
      void cleanup.then(() => {
        if (this.status !== SUSPENDED || rare.restartCleanup !== cleanup) return;
        rare.restartCleanup = null;
        this.start();
      });
    };
    if (delayMs > 0) rare.restartTimer = this.runtime.clock.setTimeout(due, delayMs);
    else due();
  }

  /** Stops the children, then runs postStop of the current instance (once). Never rejects. */
  private async retireInstance(): Promise<void> {
    const children = this.children;
    if (children !== null && children.size > 0) await Promise.all(Array.from(children.values(), (c) => c.stop()));
    if ((this.flags & INSTANCE_ALIVE) === 0) return;
    this.flags &= ~INSTANCE_ALIVE;
    try {
      await this.behavior.postStop?.(this.context);
    } catch (error) {
      this.runtime.reportError(error, this.path, 'postStop');
    }
  }

  /** Completes a stop: synchronously when there is nothing to wait for (no children, postStop or restart). */
  protected finishStop(): void {
    if ((this.flags & FINISHING) !== 0) return;
    this.flags |= FINISHING;
    this.timersImpl?.cancelAll();
    const mustWait =
      (this.rare !== null && this.rare.restartCleanup !== null) ||
      (this.children !== null && this.children.size > 0) ||
      ((this.flags & INSTANCE_ALIVE) !== 0 && this.behavior.postStop !== undefined);
    if (mustWait) {
      void this.finishStopAfterCleanup();
    } else {
      this.flags &= ~INSTANCE_ALIVE;
      this.stopped();
    }
  }

  private async finishStopAfterCleanup(): Promise<void> {
    const cleanup = this.rare?.restartCleanup;
    if (cleanup != null) await cleanup;
    await this.retireInstance();
    this.stopped();
  }

  private stopped(): void {
    this.timersImpl?.cancelAll(); // postStop may have started one
    this.systemQueue = null;
    this.status = STOPPED;
    const rare = this.rare;
    if (rare === null) {
      this.supervisor.childStopped(this as CellLifecycle<unknown>, 'stopped', undefined);
      return;
    }
    this.supervisor.childStopped(this as CellLifecycle<unknown>, rare.terminationReason, rare.terminationError);
    rare.resolveStopped?.();
    rare.resolveStopped = null;
  }

  private rejectQueued(): void {
    const { mailbox } = this;
    while (mailbox.size > 0) {
      const message = mailbox.takeMessage();
      const ask = mailbox.takeAsk();
      this.runtime.deadLetters.publish(this.path, message, 'stopped');
      ask?.reject(new ActorStoppedError({ actor: this.path }));
    }
  }
}
