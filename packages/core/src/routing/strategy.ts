import type { ClusterView, MemberView } from '../cluster-view.js';
import type { FieldPath } from './field-path.js';
import type { RoutingKind } from './routing-kind.js';

/**
 * Routing strategies map (message, cluster view[, state]) to the id of the shard that should serve it.
 *
 * | strategy            | chooses                                   | skips overloaded (load >= 0.9) |
 * |---------------------|-------------------------------------------|--------------------------------|
 * | `hash(field)`       | ring owner of the field's value           | no: the owner holds keyed state|
 * | `sticky(field)`     | first owner seen, kept until it leaves    | no: same reason                |
 * | `pin(field, tags?)` | a shard tagged for the value, by its hash | yes                            |
 * | `range(f, b, tags)` | a shard tagged with the value's range tag | yes                            |
 * | `roundRobin()`      | the next shard in id order                | yes                            |
 * | `leastLoaded()`     | the shard with the lowest load            | yes                            |
 *
 * Why `hash` and `sticky` ignore load: they route to where a key's state lives (an actor, a cache, ordered
 * processing). Sending a key elsewhere because its owner is busy would split its state or its order, which is a
 * correctness problem; a busy owner is a capacity problem, solved by backpressure (bounded mailboxes and queues
 * answer MailboxFullError/NoCapacityError) or by adding nodes.
 *
 * Errors: a missing or non-scalar field -> `RoutingError` naming the field; no member, no member with the tag,
 * or every candidate overloaded -> `NoCapacityError`. Both carry the strategy's `name` as `target`.
 */
export interface RoutingStrategy<State = undefined> {
  /** E.g. `hash(order.symbol)`; used as the `target` of the errors it throws. */
  readonly name: string;
  readonly kind: RoutingKind;
  /** The input field the strategy reads, or `undefined` for `roundRobin` and `leastLoaded`. */
  readonly field: FieldPath | undefined;
  /**
   * True when `member` may serve `message` (it carries the tag `pin`/`range` need); always true for the other
   * strategies. A node that receives a call it may serve serves it instead of forwarding. Throws like `route`.
   */
  canServe(message: unknown, member: MemberView): boolean;
  /** Fresh state for one router (one per client or node); `undefined` for stateless strategies. */
  initialState(): State;
  /**
   * The id of the target shard (a member of `view`). Pure in `message` and `view`; stateful strategies
   * (`sticky`, `roundRobin`) update the `state` they are given in place and keep nothing else between calls.
   * @throws RoutingError | NoCapacityError as described on {@link RoutingStrategy}.
   */
  route(message: unknown, view: ClusterView, state: State): string;
}

/** Any strategy, whatever its state. */
// biome-ignore lint/suspicious/noExplicitAny: the state type is opaque to whoever holds a mixed list of strategies.
export type AnyRoutingStrategy = RoutingStrategy<any>;

export { compileFieldPath, type FieldPath, readField, readRoutingKey } from './field-path.js';
export { hash } from './hash.js';
export { leastLoaded } from './least-loaded.js';
export { chooseTagged, type PinTags, pin } from './pin.js';
export { type RangeValue, range } from './range.js';
export { chooseByKey } from './rendezvous.js';
export { type RoundRobinState, roundRobin } from './round-robin.js';
export { RoutingKind, servesAny } from './routing-kind.js';
export { type StickyState, sticky } from './sticky.js';
