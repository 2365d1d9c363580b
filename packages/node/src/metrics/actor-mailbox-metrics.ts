/**
 * `lucent_actor_mailbox_full_total{type, kind}`: asks and tells refused with `OverloadedError` because the
 * actor's mailbox held `maxMailboxSize` messages (`--actor-mailbox-size`, or the definition's). Fed by the actor
 * directory's `onMailboxFull` hook; only on that (refusal) path is a child looked up, and the types are the
 * node's own definitions, so the series stay few.
 */
import type { Registry } from 'prom-client';
import { type CounterChild, CounterFamily } from './metric-families.js';

/** What was refused: an ask (its caller got the error) or a tell (counted here and in the router's drops). */
export type RefusedKind = 'ask' | 'tell';

/** The counter on a node's registry. One per node. */
export class ActorMailboxMetrics {
  readonly #family: CounterFamily;
  readonly #children = new Map<string, CounterChild>();

  constructor(registry: Registry) {
    this.#family = new CounterFamily(
      'lucent_actor_mailbox_full_total',
      'Asks and tells refused with OverloadedError because the actor mailbox was full, by actor type and kind',
      ['type', 'kind'],
    ).register(registry);
  }

  /** Counts one refused message of actor type `type`. */
  refused(type: string, kind: RefusedKind): void {
    const key = `${type}\u0000${kind}`;
    let child = this.#children.get(key);
    if (child === undefined) {
      child = this.#family.bind([type, kind]);
      this.#children.set(key, child);
    }
    child.inc();
  }
}
