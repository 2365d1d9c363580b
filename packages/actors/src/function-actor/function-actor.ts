/**
 * The kernel behavior that hosts one xstate actor: one activation of a function actor `(type, id)`.
 *
 * ```
 *  kernel mailbox ──▶ receive ──▶ gate? ──▶ xstate actor.send(event) ──▶ reply (context | emitted value)
 *        ▲   control messages (identity-compared singletons): persist tick, idle tick, stop, async failure
 *        └── timers
 * ```
 * The gate is a promise that holds user events while the activation initializes or is paused: `receive` returns
 * it, and the kernel runs nothing else until it settles, so later messages wait in the mailbox in order. A kernel
 * stop (`terminate()`, the kernel ref's `stop()`) reaches the host through `stopRequested`: the held message is the
 * current one, so the gate opens, it is handled, and `postStop` saves the final snapshot.
 *
 * Replies: by default (`persist: 'durable'`) the host takes each message's reply over (`ctx.deferReply()`) and
 * hands it to the persister, which answers it once the snapshot including the message is stored (group commit, see
 * `persistence.ts`); the kernel meanwhile runs the next messages. A failed save rejects those replies and stops the
 * activation without a final save. `'write-behind'` and `{ everyMs }` reply at once and save later.
 *
 * Failures: after each `send` the host checks the snapshot status (xstate does not throw; see `xstate-actor.ts`).
 * On error it restores the last good snapshot (the state before the failed event) into a fresh actor and retries
 * the event, up to `maxRecoveryAttempts` times; then the activation stops with `RecoveryFailedError`.
 */
import {
  ActorStoppedError,
  actorKey,
  type Clock,
  ConflictError,
  type RecoveryFailedError,
  SnapshotIncompatibleError,
} from '@lucent/core/internal';
import type { AnyActor, EventObject, Observer } from 'xstate';
import type { StateStore } from '../state-store.js';
import type { ActorContext, ActorRef, Behavior, DeferredReply } from '../types.js';
import type { ActorInspection } from './actor-inspection.js';
import { DedupWindow, IdentifiedEvent, splitDedupWindow, withDedupWindow } from './dedup-window.js';
import type { AnyActorDefinition, LucentReply } from './define-actor.js';
import {
  AFTER_REMINDER,
  machineHasDelays,
  markScheduled,
  pendingDelays,
  restoreDelays,
  splitDelays,
  WAKE_EVENT,
  withDelays,
} from './delayed-events.js';
import type { GroupCommit } from './group-commit.js';
import { type LifecycleChange, type LifecycleEvent, LifecycleStatus, nextLifecycleStatus } from './lifecycle.js';
import type { BacklogTimer } from './mailbox-admission.js';
import { SnapshotPersister, type SnapshotSource } from './persistence.js';
import { afterWrites, REMINDER_CANCEL_EVENT, REMINDER_SET_EVENT, type ReminderPort } from './reminders.js';
import { checkSnapshotVersion, splitSnapshotVersion, withSnapshotVersion } from './snapshot-version.js';
import {
  createHostedActor,
  persistedBeforeFailure,
  recoveryFailedError,
  statusOf,
  stopIfActive,
} from './xstate-actor.js';

/** Control messages. Compared by identity, so no event that crossed the wire can pose as one. */
const PERSIST_TICK = Object.freeze({ type: 'lucent.persist-tick' });
const IDLE_TICK = Object.freeze({ type: 'lucent.idle-tick' });
const STOP_REQUEST = Object.freeze({ type: 'lucent.stop' });
const ASYNC_FAILURE = Object.freeze({ type: 'lucent.async-failure' });
const PERSIST_TIMER = 'lucent.persist';
const IDLE_TIMER = 'lucent.idle';
const { Initializing, Running, Paused, Recovering, Stopping, Stopped } = LifecycleStatus;

/** Bits of the host's `#flags`: one small integer instead of a field (8 bytes) per boolean, per idle actor. */
const PAUSE_REQUESTED = 1;
/** Inside our own `send` or `start`: an xstate error is read from the snapshot right after, not reported. */
const IN_SEND = 2;
const RELEASED = 4;
const FINISHING = 8;

/** Has `after` transitions (`delayed-events.ts`): pending ones are stored and restored with their remaining time. */
const HAS_DELAYS = 16;

const noop = (): void => {};

/**
 * Reminder writes started by the event being sent now (durable mode: its reply waits for them). One variable for
 * all hosts rather than a field per actor: a send is synchronous, and the variable is reset before each one.
 */
let turnReminderWrites: Promise<void>[] | undefined;

/** The due time of each delayed-actor's wake reminder, as last written (only actors with `after` delays). */
const wakeAt = new WeakMap<object, number | undefined>();

/** A promise and its resolve function in one object, made only while something must wait (gate, stop). */
class Latch {
  readonly promise: Promise<void>;
  open: () => void = noop;

  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.open = resolve;
    });
  }
}

/**
 * What activations need from the directory that owns them: one object shared by all its activations (per-actor
 * memory is the budget here: see the `actors/function` bench).
 */
export interface FunctionActorServices {
  readonly store: StateStore;
  readonly clock: Clock;
  /** The options every xstate actor is created with (`{ clock }`), shared. */
  readonly xstateOptions: { readonly clock: Clock };
  /** Where durable activations queue their saves at the end of a turn (one per directory). */
  readonly commits: GroupCommit;
  readonly onLifecycle: (change: LifecycleChange) => void;
  /** The activation leaves the directory (stop, passivation or failure); called once. */
  readonly onRelease: (host: FunctionActorHost) => void;
  readonly onPersistError: (host: FunctionActorHost, error: unknown) => void;
  /** Where the machines' reminder requests go (`reminders.ts`); `undefined`: nobody listens for them. */
  readonly reminders?: ReminderPort | undefined;
  /** Measures the service time of actors with a backlog (`mailbox-admission.ts`). */
  readonly backlog: BacklogTimer;
}

/** One activation. Created and driven by the directory (`createFunctionActors`); not for direct use. */
export class FunctionActorHost implements Behavior<unknown>, SnapshotSource, Observer<unknown> {
  /** The `STOP_REQUEST` message, for the directory to send after {@link requestStop}. */
  static readonly STOP_REQUEST: object = STOP_REQUEST;
  readonly definition: AnyActorDefinition;
  readonly id: string;
  readonly #services: FunctionActorServices;
  readonly #persister: SnapshotPersister;
  #previous: Promise<void> | undefined;
  readonly #onReply: ((event: LucentReply<unknown>) => void) | undefined;
  #status: LifecycleStatus = Initializing;
  #ctx: ActorContext<unknown> | undefined = undefined;
  #actor: AnyActor | undefined = undefined;
  #gate: Latch | null = null;
  #flags = 0;
  #reply: unknown = undefined;
  #lastActivityAt = 0;
  #fatal: unknown = undefined;
  #stopped: Latch | null = null;
  /** Ids of the messages applied last (dedup-window.ts); created on the first identified message or load. */
  #dedup: DedupWindow | undefined = undefined;

  /**
   * `previous` settles when the previous activation of the same key has saved its last snapshot (and, with an
   * activation guard, when this one was admitted); loading waits for it. If it rejects, the activation aborts
   * with that error.
   */
  constructor(
    definition: AnyActorDefinition,
    id: string,
    services: FunctionActorServices,
    previous: Promise<void> | undefined,
  ) {
    this.definition = definition;
    this.id = id;
    this.#services = services;
    this.#previous = previous;
    this.#persister = new SnapshotPersister(
      services.store,
      this,
      definition.persist.mode === 'durable' ? services.commits : undefined,
    );
    this.#onReply =
      definition.replyWith === 'emit'
        ? (event) => {
            this.#reply = event.value;
          }
        : undefined;
    if (machineHasDelays(definition.machine)) this.#flags |= HAS_DELAYS;
    this.#closeGate();
  }

  /** The state store key, `${type}/${id}` (computed: not worth a string per idle actor). */
  get key(): string {
    return actorKey(this.definition.type, this.id);
  }

  /** The kernel actor hosting this activation: set once the kernel ran `preStart` (inside `spawn`). */
  get ref(): ActorRef<unknown> | undefined {
    return this.#ctx?.self;
  }

  /** Where the activation is in its lifecycle. */
  get status(): LifecycleStatus {
    return this.#status;
  }

  /** Why the activation stopped abnormally, once it did. */
  get failure(): unknown {
    return this.#fatal;
  }

  /** A copy of what an operator may see of this activation; the context only with `withContext`. */
  inspect(withContext: boolean): ActorInspection {
    const snapshot = this.#actor?.getSnapshot() as { value?: unknown; context?: unknown } | undefined;
    return {
      type: this.definition.type,
      id: this.id,
      status: this.#status,
      ...(snapshot === undefined ? {} : { state: snapshot.value }),
      mailboxSize: this.#ctx?.self.mailboxSize ?? 0,
      savedRevision: this.#persister.revision,
      ...(withContext && snapshot !== undefined ? { context: snapshot.context } : {}),
    };
  }

  /** The live xstate actor (for inspection in tests); `undefined` while initializing or after a failure. */
  get xstateActor(): AnyActor | undefined {
    return this.#actor;
  }

  // ── Behavior ────────────────────────────────────────────────────────────────────────────────────────────
  preStart(ctx: ActorContext<unknown>): void {
    this.#ctx = ctx;
    // Not returned: the gate holds messages instead, so a failed load rejects them with the real reason.
    void this.#initialize();
  }

  receive(message: unknown): unknown {
    if (message === PERSIST_TICK) {
      if (this.#status !== Stopped) this.#persister.requestSave();
      return undefined;
    }
    if (message === IDLE_TICK) return this.#onIdleTick();
    if (message === STOP_REQUEST)
      return this.#gate === null ? this.#finishStop() : this.#gate.promise.then(() => this.#finishStop());
    if (message === ASYNC_FAILURE) return this.#recoverFromAsyncFailure();
    this.#services.backlog.started(this, (this.#ctx as ActorContext<unknown>).self.mailboxSize);
    if (this.#persister.durable) return this.#deliverDurably(message);
    return this.#route(message, undefined);
  }

  /**
   * The kernel began a stop (system terminate, or a stop of the kernel ref) while a message is in progress. When
   * that message is held by the gate (paused), it is this actor's current message: the gate opens and it is
   * handled, then the final snapshot is saved (`postStop`); messages still queued were already dead-lettered by the
   * kernel (their asks reject with `ActorStoppedError`). An initializing activation keeps its gate until its load
   * finishes (a pending pause is dropped), then handles the held message the same way.
   */
  stopRequested(): void {
    this.#beginStop();
  }

  /** The kernel stopped the actor (system terminate): save the final snapshot like a stop. */
  async postStop(): Promise<void> {
    if (this.#status === Stopped) return;
    this.#beginStop();
    await this.#finishStop();
  }

  // ── Directory controls ──────────────────────────────────────────────────────────────────────────────────
  /** Pauses (or pauses as soon as initialized/recovered). False when stopping or stopped, or already paused. */
  pause(): boolean {
    if (this.#status === Running) {
      this.#closeGate();
      return this.#transition({ type: 'pause' });
    }
    if ((this.#status === Initializing || this.#status === Recovering) && (this.#flags & PAUSE_REQUESTED) === 0) {
      this.#flags |= PAUSE_REQUESTED;
      return true;
    }
    return false;
  }

  /** Resumes a paused activation; held messages then run in arrival order. False when not paused. */
  resume(): boolean {
    if ((this.#flags & PAUSE_REQUESTED) !== 0) {
      this.#flags &= ~PAUSE_REQUESTED;
      return true;
    }
    if (!this.#transition({ type: 'resume' })) return false;
    this.#openGate();
    return true;
  }

  /**
   * Begins a graceful stop: leaves the directory now; messages already queued still run (a paused activation
   * is drained), then the `STOP_REQUEST` message the caller sends saves the final snapshot. Idempotent.
   */
  requestStop(): void {
    this.#beginStop();
  }

  /** Resolves once the activation is stopped (never rejects; see {@link failure}). */
  whenStopped(): Promise<void> {
    if (this.#status === Stopped) return Promise.resolve();
    this.#stopped ??= new Latch();
    return this.#stopped.promise;
  }

  // ── SnapshotSource ──────────────────────────────────────────────────────────────────────────────────────
  currentSnapshot(): object | undefined {
    const snapshot = this.#actor?.getSnapshot() as { status: string } | undefined;
    return snapshot?.status === 'active' || snapshot?.status === 'done' ? snapshot : undefined;
  }

  toPersisted(snapshot: object): unknown {
    let persisted: unknown = this.definition.machine.getPersistedSnapshot(snapshot as never);
    const actor = this.#actor;
    if ((this.#flags & HAS_DELAYS) !== 0 && actor !== undefined) {
      const delays = pendingDelays(actor, this.#services.clock.wallNow());
      persisted = withDelays(persisted, delays);
      this.#syncWakeReminder(delays);
    }
    // Dedup hook: the window travels in the same stored value as the state it describes.
    // Version hook: the definition's version travels outermost, checked before anything else is read.
    return withSnapshotVersion(withDedupWindow(persisted, this.#dedup), this.definition.version);
  }

  /**
   * xstate observer hook, called on every new snapshot (also of delayed transitions, outside any send): gives
   * the delayed events just scheduled their due time. Not for direct use.
   */
  next(): void {
    if ((this.#flags & HAS_DELAYS) !== 0 && this.#actor !== undefined) {
      markScheduled(this.#actor, this.#services.clock.wallNow());
    }
  }

  onConflict(error: ConflictError): void {
    this.#abort(error);
  }

  onSaveError(error: unknown): void {
    this.#services.onPersistError(this, error);
    // Durable: the live state holds changes whose senders were told the save failed; drop it (the next activation
    // loads what is stored).
    if (this.#persister.durable) this.#abort(error);
  }

  // ── Events ──────────────────────────────────────────────────────────────────────────────────────────────
  /** An event with its message id goes through the dedup window; any other event straight to the machine. */
  #route(message: unknown, reply: DeferredReply | undefined): unknown {
    return message instanceof IdentifiedEvent
      ? this.#deliverIdentified(message, reply)
      : this.#deliver(message as EventObject, reply);
  }

  /** Durable: the reply is taken from the kernel here (synchronously) and answered once stored, or rejected. */
  #deliverDurably(message: unknown): unknown {
    const reply = this.#ctx?.deferReply();
    try {
      const result = this.#route(message, reply);
      if (result === undefined || reply === undefined) return result;
      // Held by the gate (initializing or paused): the kernel no longer answers this ask, so a failure must.
      return (result as Promise<unknown>).then(undefined, (error: unknown) => {
        reply.reject(error);
        throw error;
      });
    } catch (error) {
      reply?.reject(error);
      throw error;
    }
  }

  /**
   * An event with its message id (dedup-window.ts): a duplicate is not applied and gets the current reply value
   * (when durable, once what it shows is stored). The id is recorded before the event runs, so a save started by
   * it already carries the id.
   */
  #deliverIdentified(message: IdentifiedEvent, reply: DeferredReply | undefined): unknown {
    if (this.#gate !== null) return this.#gate.promise.then(() => this.#deliverIdentified(message, reply));
    const actor = this.#actor;
    if (actor !== undefined && this.#status !== Stopped && this.#dedup?.has(message.id) === true) {
      const value = this.#onReply === undefined ? (actor.getSnapshot() as { context: unknown }).context : undefined;
      if (reply === undefined) return value;
      if (this.#persister.mustHold) this.#persister.hold(reply, value);
      else reply.resolve(value);
      return undefined;
    }
    this.#dedup ??= new DedupWindow();
    this.#dedup.add(message.id);
    return this.#deliver(message.event as EventObject, reply);
  }

  #deliver(event: EventObject, reply: DeferredReply | undefined): unknown {
    // A closure per held message only: held messages are the paused/initializing case, not the hot path.
    if (this.#gate !== null) return this.#gate.promise.then(() => this.#deliver(event, reply));
    const actor = this.#actor;
    if (actor === undefined || this.#status === Stopped) {
      throw this.#fatal ?? new ActorStoppedError({ actor: this.key });
    }
    const before = actor.getSnapshot();
    this.#reply = undefined;
    turnReminderWrites = undefined;
    this.#flags |= IN_SEND;
    actor.send(event);
    this.#flags &= ~IN_SEND;
    const after = actor.getSnapshot();
    if (after.status === 'error') return this.#recover(event, before, after.error, reply);
    return this.#afterEvent(before, after, reply);
  }

  /**
   * The reply to the event just handled: returned to the kernel (write-behind, periodic), or, when durable, answered
   * now if nothing unsaved shows in it, else held until stored (and `undefined` returned: the kernel has no ask).
   */
  #afterEvent(before: unknown, after: { context: unknown }, reply: DeferredReply | undefined): unknown {
    if (this.definition.passivateAfterMs !== undefined) this.#lastActivityAt = this.#services.clock.now();
    let value: unknown;
    if (this.#onReply === undefined) value = after.context;
    else {
      value = this.#reply;
      this.#reply = undefined;
    }
    const persister = this.#persister;
    if (persister.durable) {
      const writes = turnReminderWrites;
      if (writes !== undefined) {
        turnReminderWrites = undefined;
        if (reply !== undefined) reply = afterWrites(reply, writes);
      }
      if (after === before && !persister.mustHold) reply?.resolve(value);
      else persister.hold(reply, value);
      return undefined;
    }
    if (after !== before && this.definition.persist.onTransition) persister.requestSave();
    return value;
  }

  /** An action or guard threw on `event`: restore the state before it into a fresh actor and retry, N times. */
  #recover(event: EventObject, lastGood: object, error: unknown, reply: DeferredReply | undefined): unknown {
    this.#transition({ type: 'failed' }, error);
    const persisted = this.definition.machine.getPersistedSnapshot(lastGood as never);
    let lastError = error;
    for (let attempt = 0; attempt < this.definition.maxRecoveryAttempts; attempt++) {
      const actor = this.#startActor(persisted);
      const restored = actor.getSnapshot();
      if (restored.status === 'error') {
        lastError = restored.error;
        continue;
      }
      this.#reply = undefined;
      this.#flags |= IN_SEND;
      actor.send(event);
      this.#flags &= ~IN_SEND;
      const after = actor.getSnapshot();
      if (after.status === 'error') {
        lastError = after.error;
        continue;
      }
      this.#afterRecovered();
      return this.#afterEvent(restored, after, reply);
    }
    const failure = this.#recoveryFailed(lastError);
    this.#abort(failure);
    throw failure;
  }

  /** A delayed transition (outside any message) failed: restore the state before it; nothing to retry. */
  #recoverFromAsyncFailure(): void {
    const failed = this.#actor?.getSnapshot() as { status: string; error: unknown } | undefined;
    if (failed?.status !== 'error' || this.#status === Stopped) return;
    this.#transition({ type: 'failed' }, failed.error);
    const persisted = persistedBeforeFailure(this.definition.machine, failed);
    let lastError = failed.error;
    for (let attempt = 0; attempt < this.definition.maxRecoveryAttempts; attempt++) {
      const restored = this.#startActor(persisted).getSnapshot();
      if (restored.status !== 'error') {
        this.#afterRecovered();
        return;
      }
      lastError = restored.error;
    }
    this.#abort(this.#recoveryFailed(lastError));
  }

  /**
   * xstate observer hook (the host is its own observer, so no closure per actor). Without an error observer
   * xstate would rethrow the error from a `setTimeout`. Not for direct use.
   */
  error(): void {
    // Errors during our own send/start are read from the snapshot right after; only the others need a message.
    if ((this.#flags & IN_SEND) !== 0 || this.#status === Stopped) return;
    this.#ctx?.self.tell(ASYNC_FAILURE);
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────────────────────────────────────
  async #initialize(): Promise<void> {
    const previous = this.#previous;
    this.#previous = undefined;
    if (previous !== undefined) {
      try {
        await previous;
      } catch (error) {
        // Refused (an activation guard): nothing was loaded; held messages reject with the reason.
        this.#abort(error);
        return;
      }
    }
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.definition.maxRecoveryAttempts; attempt++) {
      if (this.#status === Stopped) return;
      if (attempt > 0 && this.#status === Initializing) this.#transition({ type: 'failed' }, lastError);
      try {
        const loaded = await this.#persister.load();
        // Version hook: a snapshot this version cannot restore fails the activation (snapshot-version.ts).
        const { version, stored } = splitSnapshotVersion(loaded);
        if (loaded !== null && loaded !== undefined) checkSnapshotVersion(this.definition, this.key, version);
        // Dedup hook: the stored value carries the window beside the machine's snapshot.
        const { persisted: undeduped, ids } = splitDedupWindow(stored);
        if (ids.length > 0) this.#dedup = new DedupWindow(undefined, ids);
        const { persisted, delays } = splitDelays(undeduped);
        const actor = this.#startActor(persisted);
        // Delayed transitions pending when it was saved resume with their remaining time (xstate drops them).
        if (delays.length > 0 && statusOf(actor) === 'active') {
          restoreDelays(actor, delays, this.#services.clock.wallNow());
          wakeAt.set(this, delays[0]?.dueAt);
        }
        const snapshot = actor.getSnapshot();
        if (snapshot.status === 'error') {
          lastError = snapshot.error;
          continue;
        }
        this.#persister.markSaved(snapshot);
        this.#started(attempt > 0);
        return;
      } catch (error) {
        if (SnapshotIncompatibleError.is(error)) {
          // Retrying cannot help, and starting empty would lose the state: Recovering, then down with the reason.
          if (this.#status === Initializing) this.#transition({ type: 'failed' }, error);
          this.#abort(error);
          return;
        }
        lastError = error;
      }
    }
    this.#abort(this.#recoveryFailed(lastError));
  }

  #started(recovered: boolean): void {
    if (this.#status === Stopped) return;
    // Only when passivating: a clock reading is a double, which costs a boxed number per actor once stored.
    if (this.definition.passivateAfterMs !== undefined) this.#lastActivityAt = this.#services.clock.now();
    if (recovered) this.#afterRecovered();
    else if (this.#transition({ type: 'loaded' }) && (this.#flags & PAUSE_REQUESTED) !== 0) {
      this.#flags &= ~PAUSE_REQUESTED;
      this.#transition({ type: 'pause' });
    }
    if (this.#status === Stopping) {
      this.#openGate(); // a stop began while loading: handle the held message, then the stop saves
      return;
    }
    // `ctx.timers` is created on first use: touch it only when a timer is wanted.
    const { everyMs } = this.definition.persist;
    if (everyMs !== undefined) this.#ctx?.timers.startPeriodic(PERSIST_TIMER, PERSIST_TICK, everyMs);
    const idleMs = this.definition.passivateAfterMs;
    if (idleMs !== undefined) this.#ctx?.timers.startSingle(IDLE_TIMER, IDLE_TICK, idleMs);
    if (this.#status !== Paused) this.#openGate();
  }

  #afterRecovered(): void {
    this.#transition({ type: 'recovered', pauseRequested: (this.#flags & PAUSE_REQUESTED) !== 0 });
    this.#flags &= ~PAUSE_REQUESTED;
    if (this.#status === Paused) this.#closeGate();
  }

  #onIdleTick(): unknown {
    const idleMs = this.definition.passivateAfterMs;
    const ctx = this.#ctx;
    if (idleMs === undefined || ctx === undefined || this.#status === Stopping || this.#status === Stopped) return;
    const idleFor = this.#services.clock.now() - this.#lastActivityAt;
    if (this.#status !== Running || ctx.self.mailboxSize > 0 || idleFor < idleMs) {
      ctx.timers.startSingle(IDLE_TIMER, IDLE_TICK, this.#status === Running ? Math.max(1, idleMs - idleFor) : idleMs);
      return;
    }
    return this.#passivate(ctx, idleMs);
  }

  /**
   * Saves first, while still in the directory, so a failed save keeps the activation (and its state) alive; the
   * kernel holds messages that arrive meanwhile, and any of them cancels the passivation.
   */
  async #passivate(ctx: ActorContext<unknown>, idleMs: number): Promise<void> {
    try {
      await this.#persister.flush();
    } catch (error) {
      if (ConflictError.is(error)) this.#abort(error);
      else if (this.#status !== Stopped) {
        this.#services.onPersistError(this, error);
        ctx.timers.startSingle(IDLE_TIMER, IDLE_TICK, idleMs);
      }
      return;
    }
    if (this.#status !== Running || ctx.self.mailboxSize > 0 || this.#persister.isDirty) {
      if (this.#status === Running || this.#status === Paused) ctx.timers.startSingle(IDLE_TIMER, IDLE_TICK, idleMs);
      return;
    }
    // Same turn as the check above: nothing can reach this activation between it and the release.
    this.#beginStop();
    return this.#finishStop();
  }

  #beginStop(): void {
    const wasPaused = this.#status === Paused;
    if (!this.#transition({ type: 'stop' })) return;
    this.#flags &= ~PAUSE_REQUESTED;
    this.#release();
    if (wasPaused) this.#openGate(); // drain what was held; initializing keeps its gate until loaded
  }

  async #finishStop(): Promise<void> {
    if ((this.#flags & FINISHING) !== 0 || this.#status === Stopped) return;
    this.#beginStop(); // no-op when already stopping
    this.#flags |= FINISHING;
    this.#cancelTimers();
    try {
      await this.#persister.flush();
    } catch (error) {
      this.#abort(error);
      return;
    }
    stopIfActive(this.#actor);
    this.#transition({ type: 'stopped' });
    this.#settleStopped();
    void this.#ctx?.self.stop();
  }

  /** Fatal: no final save (the state is not trusted, or another owner has newer state); stop now. */
  #abort(error: unknown): void {
    if (this.#status === Stopped) return;
    this.#fatal = error;
    this.#persister.abandon(error); // held replies were never stored: they get the error
    this.#release();
    this.#cancelTimers();
    stopIfActive(this.#actor);
    this.#transition({ type: 'abort' }, error);
    this.#settleStopped();
    this.#openGate(); // held messages now reject with `error`
    void this.#ctx?.self.stop();
  }

  #transition(event: LifecycleEvent, error?: unknown): boolean {
    const from = this.#status;
    const to = nextLifecycleStatus(from, event);
    if (to === undefined) return false;
    this.#status = to;
    const change: LifecycleChange =
      error === undefined || (to !== Recovering && to !== Stopped)
        ? { type: this.definition.type, id: this.id, from, to }
        : { type: this.definition.type, id: this.id, from, to, error };
    this.#services.onLifecycle(change);
    return true;
  }

  // ── Helpers ─────────────────────────────────────────────────────────────────────────────────────────────
  #startActor(persisted: unknown): AnyActor {
    const onReply = this.#onReply as ((event: EventObject) => void) | undefined;
    const actor = createHostedActor(this.definition.machine, this.#services.xstateOptions, persisted, this, onReply);
    // A closure per activation only on a node with a reminder store.
    if (this.#services.reminders !== undefined) {
      const onRequest = (event: EventObject) => this.#onReminderRequest(event);
      actor.on(REMINDER_SET_EVENT, onRequest);
      actor.on(REMINDER_CANCEL_EVENT, onRequest);
    }
    this.#flags |= IN_SEND;
    actor.start();
    this.#flags &= ~IN_SEND;
    this.#actor = actor;
    if ((this.#flags & HAS_DELAYS) !== 0) markScheduled(actor, this.#services.clock.wallNow());
    return actor;
  }

  /** A machine's `reminders.set` / `reminders.cancel` (emitted): write it; a durable reply waits for the write. */
  #onReminderRequest(request: EventObject): void {
    const port = this.#services.reminders as ReminderPort;
    const { type } = this.definition;
    const r = request as { type: string; name: string; schedule: never; event: EventObject };
    let write: Promise<void>;
    try {
      write =
        r.type === REMINDER_SET_EVENT
          ? port.set(type, this.id, r.name, r.schedule, r.event)
          : port.cancel(type, this.id, r.name);
    } catch (error) {
      write = Promise.reject(error);
    }
    write.catch((error: unknown) => this.#services.onPersistError(this, error));
    if ((this.#flags & IN_SEND) !== 0 && this.#persister.durable) {
      turnReminderWrites ??= [];
      turnReminderWrites.push(write);
    }
  }

  /** Keeps one durable reminder at the earliest pending delayed event, so a passive or crashed actor wakes. */
  #syncWakeReminder(delays: readonly { dueAt: number }[]): void {
    const port = this.#services.reminders;
    if (port === undefined) return;
    const earliest = delays[0]?.dueAt;
    if (wakeAt.get(this) === earliest) return;
    wakeAt.set(this, earliest);
    const { type } = this.definition;
    const write =
      earliest === undefined
        ? port.cancel(type, this.id, AFTER_REMINDER)
        : port.set(type, this.id, AFTER_REMINDER, { at: earliest }, WAKE_EVENT);
    write.catch((error: unknown) => {
      wakeAt.delete(this); // written again with the next save
      this.#services.onPersistError(this, error);
    });
  }

  #cancelTimers(): void {
    if (this.definition.persist.everyMs !== undefined) this.#ctx?.timers.cancel(PERSIST_TIMER);
    if (this.definition.passivateAfterMs !== undefined) this.#ctx?.timers.cancel(IDLE_TIMER);
  }

  #recoveryFailed(lastError: unknown): RecoveryFailedError {
    return recoveryFailedError(this.key, this.definition.maxRecoveryAttempts, lastError);
  }

  #release(): void {
    if ((this.#flags & RELEASED) !== 0) return;
    this.#flags |= RELEASED;
    this.#services.onRelease(this);
  }

  #settleStopped(): void {
    this.#stopped?.open();
  }

  #closeGate(): void {
    this.#gate ??= new Latch();
  }

  #openGate(): void {
    const gate = this.#gate;
    this.#gate = null;
    gate?.open();
  }
}
