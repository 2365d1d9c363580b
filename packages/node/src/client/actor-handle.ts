/**
 * A client's handle to one function actor `(type, id)`, typed by the actor definition's events and reply.
 * Location-transparent: each message is routed with the client's current view, so a handle stays valid while
 * the actor moves between nodes (and across passivation).
 */
import { actorKey } from '@lucent/core/internal';
import type { ClientCore, RequestOptions } from './client-core.js';
import { type DelayedTellOptions, delayedTell } from './delayed-tell.js';

/** A typed handle; get one from `client.actor(definition, id)`. Cheap: holds the key string and the client. */
export class ActorHandle<E = unknown, R = unknown> {
  readonly type: string;
  readonly id: string;
  /** `${type}/${id}`: the ring key and the envelope target. */
  readonly key: string;
  readonly #core: ClientCore;

  /** Not for direct use: `client.actor(...)` builds handles. */
  constructor(core: ClientCore, type: string, id: string) {
    this.type = type;
    this.id = id;
    this.key = actorKey(type, id);
    this.#core = core;
  }

  /**
   * Sends `event`, one-way and at most once: nothing reports whether it was handled. Events told by one client
   * arrive in the order told (also relative to its asks). Throws `RoutingError` when the client has no cluster
   * view, `EncodeError` when the event cannot be encoded, `ShuttingDownError` after `close()`.
   */
  tell(event: E): void {
    this.#core.tell(this.key, event);
  }

  /** `client.tellAt` to this actor: `event` delivered durably at `at`; resolves with its name once stored. */
  tellAt(event: E, at: number | Date, options?: DelayedTellOptions): Promise<string> {
    return delayedTell(this.#core, this.type, this.id, event, { at }, options);
  }

  /** `client.tellAfter` to this actor: `event` delivered durably `delayMs` from now. */
  tellAfter(event: E, delayMs: number, options?: DelayedTellOptions): Promise<string> {
    return delayedTell(this.#core, this.type, this.id, event, { afterMs: delayMs }, options);
  }

  /** Cancels this actor's reminder or delayed message `name`; idempotent. */
  cancelReminder(name: string): Promise<void> {
    return this.#core.reminders.cancel(this.type, this.id, name);
  }

  /**
   * Sends `event` and resolves with the actor's reply (its context after the event, or the value it emitted,
   * per the definition's `replyWith`). Rejects with `UnknownActorTypeError`, `TimeoutError`,
   * `RecoveryFailedError`, `ActorStoppedError`, `RoutingError` (no view), `ShuttingDownError`, each revived
   * with the serving node as `origin`.
   */
  ask(event: E, options?: RequestOptions): Promise<R> {
    return this.#core.ask(this.key, event, options) as Promise<R>;
  }
}
