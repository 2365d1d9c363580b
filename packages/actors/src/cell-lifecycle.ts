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
import { ActorStoppedError, MailboxFullError } from '@lucent/core';
import { CellContext } from './actor-context.js';
import type { CellRuntime, FailurePhase, Supervisor } from './cell-runtime.js';
import type { TimerHandle } from './clock.js';
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
  protected children: Map<string, CellLifecycle<unknown>> | null = null;
  protected stopPromise: Promise<void> | null = null;
  protected resolveStopped: (() => void) | null = null;
  private finishing = false;
  private suspendedByEscalation = false;
  private instanceAlive = false;
  private timersImpl: ActorTimers<M> | null = null;
  private readonly supervision: ResolvedSupervision;
  private restarts: readonly number[] = NO_RESTARTS;
  private restartTimer: TimerHandle | null = null;
  private restartCleanup: Promise<void> | null = null;
  private terminationReason: ChildTerminated['reason'] = 'stopped';
  private terminationError: unknown = undefined;

  constructor(
    protected readonly runtime: CellRuntime,
    private readonly supervisor: Supervisor,
    parent: ActorRef | undefined,
    readonly path: string,
    readonly name: string,
    private readonly source: BehaviorSource<M>,
    options: SpawnOptions | undefined,
  ) {
    this.mailbox = new Mailbox(options?.mailbox ?? UNBOUNDED, this, path);
    this.supervision = resolveSupervision(options?.supervision, path);
    this.context = new CellContext(this, parent, runtime.system, runtime.clock);
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
    this.terminationReason = reason;
    this.terminationError = error;
    if (this.restartTimer !== null) {
      this.runtime.clock.clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    // Queued messages will never run: dead-letter them (and fail their asks) now, not after the current one.
    this.rejectQueued();
    if (!this.busy) this.finishStop();
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
    if (this.status !== SUSPENDED || !this.suspendedByEscalation) return;
    this.suspendedByEscalation = false;
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
    this.instanceAlive = true;
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
      restarts: this.restarts,
      now: clock.now(),
      random: this.runtime.random(),
    });
    switch (verdict.directive) {
      case 'resume':
        from?.resumeAfterEscalation();
        if (this.status === STARTING) this.started();
        return;
      case 'restart':
        this.restarts = verdict.restarts;
        this.beginRestart(verdict.delayMs);
        return;
      case 'stop':
        this.requestStop('failed', error);
        return;
      case 'escalate':
        this.status = SUSPENDED;
        this.suspendedByEscalation = true;
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
    const cleanup = this.retireInstance();
    this.restartCleanup = cleanup;
    const due = (): void => {
      this.restartTimer = null;
      void cleanup.then(() => {
        if (this.status !== SUSPENDED || this.restartCleanup !== cleanup) return;
        this.restartCleanup = null;
        this.start();
      });
    };
    if (delayMs > 0) this.restartTimer = this.runtime.clock.setTimeout(due, delayMs);
    else due();
  }

  /** Stops the children, then runs postStop of the current instance (once). Never rejects. */
  private async retireInstance(): Promise<void> {
    const children = this.children;
    if (children !== null && children.size > 0) await Promise.all(Array.from(children.values(), (c) => c.stop()));
    if (!this.instanceAlive) return;
    this.instanceAlive = false;
    try {
      await this.behavior.postStop?.(this.context);
    } catch (error) {
      this.runtime.reportError(error, this.path, 'postStop');
    }
  }

  /** Completes a stop: synchronously when there is nothing to wait for (no children, postStop or restart). */
  protected finishStop(): void {
    if (this.finishing) return;
    this.finishing = true;
    this.timersImpl?.cancelAll();
    const mustWait =
      this.restartCleanup !== null ||
      (this.children !== null && this.children.size > 0) ||
      (this.instanceAlive && this.behavior.postStop !== undefined);
    if (mustWait) {
      void this.finishStopAfterCleanup();
    } else {
      this.instanceAlive = false;
      this.stopped();
    }
  }

  private async finishStopAfterCleanup(): Promise<void> {
    if (this.restartCleanup !== null) await this.restartCleanup;
    await this.retireInstance();
    this.stopped();
  }

  private stopped(): void {
    this.timersImpl?.cancelAll(); // postStop may have started one
    this.systemQueue = null;
    this.status = STOPPED;
    this.supervisor.childStopped(this as CellLifecycle<unknown>, this.terminationReason, this.terminationError);
    this.resolveStopped?.();
    this.resolveStopped = null;
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
