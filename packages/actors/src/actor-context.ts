/**
 * The {@link ActorContext} a behavior receives: one object per actor, built once and reused for every message.
 * It holds only its cell (8 bytes of state): everything else is read through it, since idle actors are the
 * common case and every field is paid per actor.
 */

import type { Clock } from '@lucent/core/internal';
import type { CellLifecycle } from './cell-lifecycle.js';
import type { ActorContext, ActorRef, ActorSystem, BehaviorSource, SpawnOptions, Timers } from './types.js';

/** Thin view of an actor cell for its behavior. */
export class CellContext<M> implements ActorContext<M> {
  constructor(private readonly cell: CellLifecycle<M>) {}

  get self(): ActorRef<M> {
    return this.cell;
  }

  /** The parent actor; `undefined` for a top-level actor. */
  get parent(): ActorRef | undefined {
    return this.cell.parentRef;
  }

  get system(): ActorSystem {
    return this.cell.runtimeServices.system;
  }

  get clock(): Clock {
    return this.cell.runtimeServices.clock;
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
