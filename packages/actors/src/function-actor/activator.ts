/**
 * The `(type, id)` directory of function actors: virtual actors that are activated on their first message,
 * passivated when idle, and activated again (with their state) on the next one.
 *
 * ```
 *  tell(type, id, e) ──▶ active.get(key) ──hit──▶ kernel ref.tell(e)
 *                             │ miss
 *                             ▼
 *        spawn FunctionActorHost (after the previous activation of `key`, if any, saved its last snapshot)
 * ```
 * An activation leaves the directory synchronously when it starts to stop (stop, passivation, failure), so a message
 * sent after that starts a fresh activation, which loads its state only once the old one has saved it. With an
 * {@link ActivationGuard} (another process may hold the actor) it also waits for the guard's `acquire` first,
 * and gives the actor back with `release` once it has stopped.
 */
import { actorKey, ConfigError, UnknownActorTypeError } from '@lucent/core/internal';
import type { StateStore } from '../state-store.js';
import type { ActorRef, ActorSystem, AskOptions, MailboxOptions, SpawnOptions, SupervisionOptions } from '../types.js';
import type { ActivationGuard } from './activation-guard.js';
import type { ActorInspection } from './actor-inspection.js';
import { IdentifiedEvent } from './dedup-window.js';
import { type ActorEventOf, type ActorReplyOf, type AnyActorDefinition, isActorDefinition } from './define-actor.js';
import { FunctionActorHost, type FunctionActorServices } from './function-actor.js';
import { GroupCommit } from './group-commit.js';
import type { LifecycleChange, LifecycleListener, LifecycleStatus } from './lifecycle.js';
import { BacklogTimer, DEFAULT_MAX_MAILBOX_SIZE, MailboxAdmission } from './mailbox-admission.js';
import { checkActorMessage } from './message-check.js';
import type { ReminderPort } from './reminders.js';

/** A function actor type name among definitions `Ds`. */
export type ActorTypeOf<Ds extends readonly AnyActorDefinition[]> = Ds[number]['type'];
/** The definition of type `T` among `Ds`. */
export type DefinitionOfType<Ds extends readonly AnyActorDefinition[], T> = Extract<Ds[number], { readonly type: T }>;

/** A store failure that did not stop the activation (the snapshot stays dirty; a later save retries). */
export interface PersistFailure {
  readonly type: string;
  readonly id: string;
  readonly error: unknown;
}

/** Options of {@link createFunctionActors}: where actors run, where their snapshots go, which types exist. */
export interface FunctionActorsOptions<Ds extends readonly AnyActorDefinition[]> {
  readonly system: ActorSystem;
  readonly store: StateStore;
  readonly definitions: Ds;
  /**
   * Kernel mailbox of every activation (default unbounded). Prefer {@link maxMailboxSize}: a kernel bound also
   * counts control messages and rejects with `MailboxFullError`, which callers do not wait out.
   */
  readonly mailbox?: MailboxOptions;
  /**
   * Messages an activation may hold waiting, unless its definition says otherwise (`defineActor({ maxMailboxSize
   * })`); an ask or tell past it is refused at once with `OverloadedError` (`mailbox-admission.ts`). Default
   * {@link DEFAULT_MAX_MAILBOX_SIZE} (1000). An integer >= 1.
   */
  readonly maxMailboxSize?: number;
  /** Called for every ask or tell refused because the actor's mailbox was full (count it; must not throw). */
  readonly onMailboxFull?: (type: string, kind: 'ask' | 'tell') => void;
  readonly onPersistFailure?: (failure: PersistFailure) => void;
  /** Claims each activation across processes (e.g. a KV lease); default none: activations start at once. */
  readonly activationGuard?: ActivationGuard;
  /** Where machines' durable reminders are written (`reminders.ts`); default none (requests are ignored). */
  readonly reminders?: ReminderPort;
}

/**
 * A location-transparent handle to `(type, id)`: every call goes through the directory, so it stays valid across
 * passivation and reactivation.
 */
export interface FunctionActorRef<E, R> {
  readonly type: string;
  readonly id: string;
  /** As {@link FunctionActors.tell}. */
  tell(event: E): void;
  /** As {@link FunctionActors.ask}. */
  ask(event: E, options?: AskOptions): Promise<R>;
}

/** Options of {@link FunctionActors.ask}. */
export interface FunctionAskOptions extends AskOptions {
  /**
   * The id of the message (its envelope id). The actor remembers the ids it applied last (dedup-window.ts) and
   * does not apply a message with the same id again: the duplicate gets the current reply value.
   */
  readonly messageId?: string;
}

/** The function actors of one process. Create with {@link createFunctionActors}. */
export interface FunctionActors<Ds extends readonly AnyActorDefinition[]> {
  /** Throws `UnknownActorTypeError` for an unknown type. Does not activate anything by itself. */
  ref<T extends ActorTypeOf<Ds>>(
    type: T,
    id: string,
  ): FunctionActorRef<ActorEventOf<DefinitionOfType<Ds, T>>, ActorReplyOf<DefinitionOfType<Ds, T>>>;
  /**
   * Activates `(type, id)` if needed and enqueues `event`. Events from one caller are handled in call order,
   * also across a pause and across reactivation. Throws `UnknownActorTypeError` (synchronously) for an unknown type,
   * `InvalidMessageError` for an event that is not an object with a string `type` (the actor never sees it),
   * `OverloadedError` when the actor's mailbox is full (`maxMailboxSize`; the event is not queued).
   */
  tell<T extends ActorTypeOf<Ds>>(type: T, id: string, event: ActorEventOf<DefinitionOfType<Ds, T>>): void;
  /**
   * As `tell`, and resolves with the reply (the definition's `replyWith`: the context after the event by default).
   * With `persist: 'durable'` (the default) it resolves only once the snapshot including the event is stored.
   * Rejects with `UnknownActorTypeError`, `InvalidMessageError`, `OverloadedError` (as `tell`, at once), `TimeoutError` at `timeoutMs` (a paused actor holds the event),
   * `RecoveryFailedError` when the event (or activation) failed past recovery, `ConflictError` or
   * `ActorStoppedError` when the activation stopped before handling it; when durable, also with `ConflictError`
   * (a stale owner) or the store's error (`TimeoutError`, `NodeUnavailableError`) when the save failed, after
   * which the activation has stopped.
   */
  ask<T extends ActorTypeOf<Ds>>(
    type: T,
    id: string,
    event: ActorEventOf<DefinitionOfType<Ds, T>>,
    options?: FunctionAskOptions,
  ): Promise<ActorReplyOf<DefinitionOfType<Ds, T>>>;
  /** Activations currently in the directory (initializing, running, paused or recovering). */
  readonly activeCount: number;
  /** Lifecycle status of the current activation of `(type, id)`, `undefined` when it is not active. */
  status(type: ActorTypeOf<Ds>, id: string): LifecycleStatus | undefined;
  /** What an operator may see of the active actors (of `type`, when given), without their contexts. */
  inspectAll(type?: string): ActorInspection[];
  /** Active actors per type (every loaded type, 0 when none is active). */
  activeCounts(): Record<string, number>;
  /** What an operator may see of one active actor, with its context; `undefined` when it is not active. */
  inspect(type: string, id: string): ActorInspection | undefined;
  /** Pauses an active actor: its events are held, in order, until `resume`. False when not active or not running. */
  pause(type: ActorTypeOf<Ds>, id: string): boolean;
  /** Resumes a paused actor. False when it is not active or not paused. */
  resume(type: ActorTypeOf<Ds>, id: string): boolean;
  /**
   * Stops the activation gracefully: events sent before are handled (a paused actor is drained), the final snapshot
   * is saved, and an event sent afterwards activates it again. Resolves when stopped (at once when not active);
   * rejects with the error that prevented the final save (`ConflictError`, a store error).
   */
  stop(type: ActorTypeOf<Ds>, id: string): Promise<void>;
  /**
   * Stops every activation as `stop` does; settles when all are stopped, rejecting with the first error. Not required
   * before `system.terminate()` (which stops activations too, paused ones included, saving their final snapshots);
   * use it to drain queued events first and to learn about a failed final save.
   */
  stopAll(): Promise<void>;
  /**
   * Stops, as `stop` does, every activation for which `predicate(type, id)` is true, e.g. the actors whose key
   * moved to another node (hand-off: each saves its final snapshot and is released, so the new owner loads it).
   * Settles when they have stopped, rejecting with the first error.
   */
  stopWhere(predicate: (type: string, id: string) => boolean): Promise<void>;
  /** Observes every lifecycle transition of every activation; returns the unsubscribe function. */
  onLifecycle(listener: LifecycleListener): () => void;
  /**
   * Adds actor type `definition.type`, or replaces its definition (a deployed new version): activations made from
   * now on use it; live ones keep theirs until they stop (passivation, hand-off, stop) and move to it at their
   * next activation. Throws `ConfigError` for a value not made by `defineActor`.
   */
  define(definition: AnyActorDefinition): void;
  /** The actor types hosted, in the order they were defined. */
  readonly types: readonly string[];
}

const RESUME_ON_FAILURE: SupervisionOptions = Object.freeze({ decide: () => 'resume' as const });

class FunctionActorDirectory<Ds extends readonly AnyActorDefinition[]> implements FunctionActors<Ds> {
  readonly #system: ActorSystem;
  readonly #store: StateStore;
  readonly #definitions = new Map<string, AnyActorDefinition>();
  /** Active activations by type, then id: two lookups instead of building a `type/id` string per message. */
  readonly #active = new Map<string, Map<string, FunctionActorHost>>();
  #activeCount = 0;
  /** Activations that left the directory and are still saving, by key. */
  readonly #releasing = new Map<string, Promise<void>>();
  readonly #listeners = new Set<LifecycleListener>();
  readonly #spawnOptions: SpawnOptions;
  readonly #onPersistFailure: ((failure: PersistFailure) => void) | undefined;
  readonly #services: FunctionActorServices;
  readonly #guard: ActivationGuard | undefined;
  /** With a guard: each live activation's admission (resolves once acquired, rejects when refused). */
  readonly #admissions = new Map<FunctionActorHost, Promise<void>>();
  /** Measured service time per type, for the retry-after of refusals (`mailbox-admission.ts`). */
  readonly #mailboxes = new Map<string, MailboxAdmission>();
  readonly #maxMailboxSize: number;
  readonly #onMailboxFull: ((type: string, kind: 'ask' | 'tell') => void) | undefined;

  constructor(options: FunctionActorsOptions<Ds>) {
    this.#system = options.system;
    this.#store = options.store;
    this.#spawnOptions =
      options.mailbox === undefined
        ? { supervision: RESUME_ON_FAILURE }
        : { supervision: RESUME_ON_FAILURE, mailbox: options.mailbox };
    this.#onPersistFailure = options.onPersistFailure;
    this.#guard = options.activationGuard;
    this.#maxMailboxSize = options.maxMailboxSize ?? DEFAULT_MAX_MAILBOX_SIZE;
    if (!Number.isInteger(this.#maxMailboxSize) || this.#maxMailboxSize < 1) {
      throw new ConfigError({ subject: 'function actors', field: 'maxMailboxSize', reason: 'must be an integer >= 1' });
    }
    this.#onMailboxFull = options.onMailboxFull;
    this.#services = {
      store: options.store,
      clock: options.system.clock,
      xstateOptions: Object.freeze({ clock: options.system.clock }),
      commits: new GroupCommit(),
      onLifecycle: (change: LifecycleChange): void => {
        for (const listener of this.#listeners) listener(change);
      },
      onRelease: (host: FunctionActorHost): void => this.#release(host),
      onPersistError: (host: FunctionActorHost, error: unknown): void => {
        this.#onPersistFailure?.({ type: host.definition.type, id: host.id, error });
      },
      reminders: options.reminders,
      backlog: new BacklogTimer(options.system.clock, (type) => this.#mailboxes.get(type)),
    };
    for (const definition of options.definitions) {
      if (!isActorDefinition(definition)) {
        throw new ConfigError({ subject: 'function actors', field: 'definitions', reason: 'not made by defineActor' });
      }
      if (this.#definitions.has(definition.type)) {
        throw new ConfigError({ subject: `actor type '${definition.type}'`, field: 'type', reason: 'defined twice' });
      }
      this.#definitions.set(definition.type, definition);
      this.#active.set(definition.type, new Map());
      this.#mailboxes.set(definition.type, new MailboxAdmission(definition.type));
    }
  }

  get activeCount(): number {
    return this.#activeCount;
  }

  get types(): readonly string[] {
    return [...this.#definitions.keys()];
  }

  define(definition: AnyActorDefinition): void {
    if (!isActorDefinition(definition)) {
      throw new ConfigError({ subject: 'function actors', field: 'definitions', reason: 'not made by defineActor' });
    }
    this.#definitions.set(definition.type, definition);
    if (!this.#active.has(definition.type)) this.#active.set(definition.type, new Map());
    // A new version keeps the measured service time of the type.
    if (!this.#mailboxes.has(definition.type))
      this.#mailboxes.set(definition.type, new MailboxAdmission(definition.type));
  }

  ref<T extends ActorTypeOf<Ds>>(
    type: T,
    id: string,
  ): FunctionActorRef<ActorEventOf<DefinitionOfType<Ds, T>>, ActorReplyOf<DefinitionOfType<Ds, T>>> {
    if (!this.#definitions.has(type)) throw new UnknownActorTypeError({ type });
    return new DirectoryRef(this as FunctionActors<readonly AnyActorDefinition[]>, type, id);
  }

  tell<T extends ActorTypeOf<Ds>>(type: T, id: string, event: ActorEventOf<DefinitionOfType<Ds, T>>): void {
    const invalid = this.#definitions.has(type) ? checkActorMessage(type, id, event) : undefined;
    if (invalid !== undefined) throw invalid;
    this.#admitted(this.#activate(type, id), 'tell').tell(event);
  }

  ask<T extends ActorTypeOf<Ds>>(
    type: T,
    id: string,
    event: ActorEventOf<DefinitionOfType<Ds, T>>,
    options?: FunctionAskOptions,
  ): Promise<ActorReplyOf<DefinitionOfType<Ds, T>>> {
    try {
      const invalid = this.#definitions.has(type) ? checkActorMessage(type, id, event) : undefined;
      if (invalid !== undefined) throw invalid;
      const ref = this.#admitted(this.#activate(type, id), 'ask');
      const messageId = options?.messageId;
      // Only identified asks pay for the wrapper (dedup-window.ts).
      return ref.ask(messageId === undefined ? event : new IdentifiedEvent(messageId, event), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  status(type: ActorTypeOf<Ds>, id: string): LifecycleStatus | undefined {
    return this.#active.get(type)?.get(id)?.status;
  }

  inspectAll(type?: string): ActorInspection[] {
    const inspections: ActorInspection[] = [];
    for (const [activeType, hosts] of this.#active) {
      if (type !== undefined && activeType !== type) continue;
      for (const host of hosts.values()) inspections.push(host.inspect(false));
    }
    return inspections;
  }

  activeCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [type, hosts] of this.#active) counts[type] = hosts.size;
    return counts;
  }

  inspect(type: string, id: string): ActorInspection | undefined {
    return this.#active.get(type)?.get(id)?.inspect(true);
  }

  pause(type: ActorTypeOf<Ds>, id: string): boolean {
    return this.#active.get(type)?.get(id)?.pause() ?? false;
  }

  resume(type: ActorTypeOf<Ds>, id: string): boolean {
    return this.#active.get(type)?.get(id)?.resume() ?? false;
  }

  async stop(type: ActorTypeOf<Ds>, id: string): Promise<void> {
    const host = this.#active.get(type)?.get(id);
    if (host === undefined) {
      await this.#releasing.get(actorKey(type, id));
      return;
    }
    host.requestStop();
    // Behind every event already queued, so those are handled first.
    host.ref?.tell(FunctionActorHost.STOP_REQUEST);
    await host.whenStopped();
    const failure = host.failure;
    if (failure !== undefined) throw failure;
  }

  async stopAll(): Promise<void> {
    const stops = this.#stopMatching(() => true);
    stops.push(...[...this.#releasing.values()]);
    await settleAll(stops);
  }

  async stopWhere(predicate: (type: string, id: string) => boolean): Promise<void> {
    await settleAll(this.#stopMatching(predicate));
  }

  #stopMatching(predicate: (type: string, id: string) => boolean): Promise<void>[] {
    const stops: Promise<void>[] = [];
    for (const [type, byId] of this.#active) {
      for (const host of [...byId.values()]) if (predicate(type, host.id)) stops.push(this.stop(type, host.id));
    }
    return stops;
  }

  onLifecycle(listener: LifecycleListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #activate(type: string, id: string): FunctionActorHost {
    const byId = this.#active.get(type);
    if (byId === undefined) throw new UnknownActorTypeError({ type });
    const existing = byId.get(id);
    if (existing !== undefined) return existing;
    const definition = this.#definitions.get(type) as AnyActorDefinition;
    const previous = this.#releasing.size === 0 ? undefined : this.#releasing.get(actorKey(type, id));
    const guard = this.#guard;
    // With a guard the activation waits for its predecessor here, then for the guard; a refusal rejects this.
    const admission = guard === undefined ? previous : admit(previous, guard, type, id);
    const host = new FunctionActorHost(definition, id, this.#services, admission);
    if (guard !== undefined) this.#admissions.set(host, admission as Promise<void>);
    // Registered before spawn: spawn runs preStart synchronously, which may already report lifecycle changes.
    byId.set(id, host);
    this.#activeCount++;
    try {
      // Kernel-generated names (`/user/$n`): a readable name would cost two more strings per idle actor.
      this.#system.spawn<unknown>(host, this.#spawnOptions); // runs preStart: from here `host.ref` is set
    } catch (error) {
      byId.delete(id); // e.g. the system is terminating
      this.#activeCount--;
      throw error;
    }
    return host;
  }

  /**
   * `host`'s ref when its mailbox has room for one more message (`maxMailboxSize`: the definition's, else the
   * directory's); throws the `OverloadedError` refusal, counted by the hook, when it is full.
   */
  #admitted(host: FunctionActorHost, kind: 'ask' | 'tell'): ActorRef<unknown> {
    const ref = host.ref as ActorRef<unknown>;
    const limit = host.definition.maxMailboxSize ?? this.#maxMailboxSize;
    if (ref.mailboxSize < limit) return ref;
    const { type } = host.definition;
    this.#onMailboxFull?.(type, kind);
    const mailbox = this.#mailboxes.get(type) ?? new MailboxAdmission(type);
    throw mailbox.refusal(host.id, ref.mailboxSize, limit);
  }

  #release(host: FunctionActorHost): void {
    const { key } = host;
    const byId = this.#active.get(host.definition.type);
    if (byId?.get(host.id) === host) {
      byId.delete(host.id);
      this.#activeCount--;
    }
    let stopped = host.whenStopped();
    const admission = this.#admissions.get(host);
    if (admission !== undefined) {
      this.#admissions.delete(host);
      stopped = giveBack(stopped, admission, this.#guard as ActivationGuard, host.definition.type, host.id);
    }
    this.#releasing.set(key, stopped);
    void stopped.then(() => {
      if (this.#releasing.get(key) === stopped) this.#releasing.delete(key);
    });
  }
}

/** Waits for the previous activation of the key to finish, then for the guard. Rejects when the guard refuses. */
async function admit(
  previous: Promise<void> | undefined,
  guard: ActivationGuard,
  type: string,
  id: string,
): Promise<void> {
  if (previous !== undefined) await previous;
  await guard.acquire(type, id);
}

/**
 * Settles after `stopped` and, if the activation was admitted, after the guard's release: the next activation of
 * the key (here, or on another process once the guard lets it) starts only after that. Never rejects.
 */
async function giveBack(
  stopped: Promise<void>,
  admission: Promise<void>,
  guard: ActivationGuard,
  type: string,
  id: string,
): Promise<void> {
  await stopped;
  try {
    // An activation can stop while still waiting to be admitted: release only what was acquired.
    await admission;
  } catch {
    return;
  }
  await guard.release(type, id);
}

async function settleAll(stops: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(stops);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

class DirectoryRef<E, R> implements FunctionActorRef<E, R> {
  readonly #directory: FunctionActors<readonly AnyActorDefinition[]>;
  readonly type: string;
  readonly id: string;

  constructor(directory: FunctionActors<readonly AnyActorDefinition[]>, type: string, id: string) {
    this.#directory = directory;
    this.type = type;
    this.id = id;
  }

  tell(event: E): void {
    this.#directory.tell(this.type, this.id, event as never);
  }

  ask(event: E, options?: AskOptions): Promise<R> {
    return this.#directory.ask(this.type, this.id, event as never, options) as Promise<R>;
  }
}

/**
 * Builds the function-actor directory of one process over `system` and `store`. Throws `ConfigError` when a
 * definition was not made by `defineActor` or two share a type. Activations are top-level kernel actors named
 * `<type>:<id>:<n>` whose failures the kernel resumes (the host recovers by itself).
 */
export function createFunctionActors<const Ds extends readonly AnyActorDefinition[]>(
  options: FunctionActorsOptions<Ds>,
): FunctionActors<Ds> {
  return new FunctionActorDirectory(options);
}
