/**
 * The {@link ActorContext} a behavior receives: one object per actor, built once and reused for every message.
 */
import type { CellLifecycle } from './cell-lifecycle.js';
import type { Clock } from './clock.js';
import type { ActorContext, ActorRef, ActorSystem, BehaviorSource, SpawnOptions, Timers } from './types.js';

/** Thin view of an actor cell for its behavior. */
export class CellContext<M> implements ActorContext<M> {
  constructor(
    private readonly cell: CellLifecycle<M>,
    readonly parent: ActorRef | undefined,
    readonly system: ActorSystem,
    readonly clock: Clock,
  ) {}

  get self(): ActorRef<M> {
    return this.cell;
  }

  /** Created on first use, so actors without timers pay nothing. */
  get timers(): Timers<M> {
    return this.cell.timers;
  }

  /**
   * Spawns a child supervised by this actor. Throws `ConfigError` for an invalid or taken name (or invalid
   * options) and `ActorStoppedError` when this actor is stopping.
   */
  spawn<C>(behavior: BehaviorSource<C>, options?: SpawnOptions): ActorRef<C> {
    return this.cell.spawnChild(behavior, options);
  }

  /** Stops this actor once the current message is done; idempotent. */
  stop(): void {
    this.cell.requestStop('stopped', undefined);
  }
}
