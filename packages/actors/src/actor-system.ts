/**
 * The in-process actor system: the `/user` guardian of top-level actors, the dead-letter channel, the ask
 * deadlines and the clock. No I/O: everything runs on the caller's thread, driven by microtasks and the clock.
 */
import { type Clock, ConfigError, ShuttingDownError, systemClock } from '@lucent/core/internal';
import { generatedName, spawnCell } from './actor-cell.js';
import type { CellLifecycle } from './cell-lifecycle.js';
import type { CellRuntime, FailurePhase, Supervisor } from './cell-runtime.js';
import { DeadLetters } from './dead-letters.js';
import { Dispatcher } from './dispatcher.js';
import { AskDeadlines } from './pending-ask.js';
import {
  type ActorRef,
  type ActorSystem,
  type BehaviorSource,
  type ChildTerminated,
  DEFAULT_ASK_TIMEOUT_MS,
  type DeadLetter,
  type SpawnOptions,
} from './types.js';

export type { FailurePhase } from './cell-runtime.js';

/** Options of {@link createActorSystem}. */
export interface ActorSystemOptions {
  /** Names the system in errors and diagnostics. */
  readonly name: string;
  /** Defaults to {@link systemClock}; tests pass a `SimulatedClock`. */
  readonly clock?: Clock;
  /** Timeout of an ask that sets none; default {@link DEFAULT_ASK_TIMEOUT_MS}. */
  readonly defaultAskTimeoutMs?: number;
  /** Source of backoff jitter in [0, 1); default `Math.random`. Tests pass a constant. */
  readonly random?: () => number;
  /**
   * Observes every failure of user code (receive, preStart, postStop, childTerminated, or a factory) and every
   * escalation that reaches the top, after supervision has handled it: the hook for a logger or a metric.
   * A throw from it is ignored.
   */
  readonly onError?: (error: unknown, actorPath: string, phase: FailurePhase) => void;
}

const ignoreError = (): void => {};

/**
 * An {@link ActorSystem} in one process. Top-level actors live under `/user`; one that escalates a failure is
 * stopped (there is no actor above it to decide) and reported to `onError` with phase `escalation`.
 */
export class LocalActorSystem implements ActorSystem, CellRuntime, Supervisor {
  readonly name: string;
  readonly clock: Clock;
  readonly defaultAskTimeoutMs: number;
  readonly deadLetters = new DeadLetters();
  readonly deadlines: AskDeadlines;
  readonly dispatcher = new Dispatcher();
  readonly random: () => number;
  private readonly onError: (error: unknown, actorPath: string, phase: FailurePhase) => void;
  private readonly topLevel = new Map<string, CellLifecycle<unknown>>();
  private counter = 0;
  private terminated: Promise<void> | null = null;

  /** Throws `ConfigError` for an empty name or a non-positive default ask timeout. */
  constructor(options: ActorSystemOptions) {
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new ConfigError({ subject: 'actor system', field: 'name', reason: 'must be a non-empty string' });
    }
    const timeout = options.defaultAskTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    if (!(timeout > 0)) {
      throw new ConfigError({ subject: options.name, field: 'defaultAskTimeoutMs', reason: 'must be > 0' });
    }
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.defaultAskTimeoutMs = timeout;
    this.deadlines = new AskDeadlines(this.clock);
    this.random = options.random ?? Math.random;
    this.onError = options.onError ?? ignoreError;
  }

  /** @internal The cell runtime points back at the system. */
  get system(): ActorSystem {
    return this;
  }

  /** Dead letters so far (listened to or not). */
  get deadLetterCount(): number {
    return this.deadLetters.count;
  }

  /** Top-level actors not yet fully stopped. */
  get topLevelCount(): number {
    return this.topLevel.size;
  }

  /**
   * Spawns a top-level actor at `/user/<name>`; its preStart runs before this returns. Throws `ConfigError`
   * for an invalid or taken name or invalid options, `ShuttingDownError` after {@link terminate}.
   */
  spawn<M>(behavior: BehaviorSource<M>, options?: SpawnOptions): ActorRef<M> {
    if (this.terminated !== null) throw new ShuttingDownError({ node: this.name });
    const name = options?.name ?? generatedName(this.topLevel, () => this.counter++);
    return spawnCell(this, this, '/user', this.topLevel, name, behavior, options);
  }

  onDeadLetter(listener: (letter: DeadLetter) => void): () => void {
    return this.deadLetters.subscribe(listener);
  }

  /** Stops every top-level actor (each stops its children first). Idempotent: later calls share the promise. */
  terminate(): Promise<void> {
    this.terminated ??= Promise.all(Array.from(this.topLevel.values(), (cell) => cell.stop())).then(() => undefined);
    return this.terminated;
  }

  /** @internal */
  reportError(error: unknown, actorPath: string, phase: FailurePhase): void {
    try {
      this.onError(error, actorPath, phase);
    } catch {
      // A broken error hook must not turn a handled failure into a crash.
    }
  }

  /** @internal */
  childStopped(child: CellLifecycle<unknown>, _reason: ChildTerminated['reason'], _error: unknown): void {
    if (this.topLevel.get(child.name) === child) this.topLevel.delete(child.name);
  }

  /** @internal No actor above a top-level one: an escalation stops it. */
  childEscalated(child: CellLifecycle<unknown>, error: unknown): void {
    this.reportError(error, child.path, 'escalation');
    child.requestStop('failed', error);
  }
}

/** Creates an in-process actor system. Throws `ConfigError` for invalid options. */
export function createActorSystem(options: ActorSystemOptions): LocalActorSystem {
  return new LocalActorSystem(options);
}
