/**
 * The placement decision, in one place: every client, router, hand-off and lease sweep asks here where a
 * message goes, so processes with the same view agree. Pure: (what, input, view) in, a {@link Placement} out.
 *
 * ```
 *  actor tell/ask     key = type/id (actorKey)                 ─► ring of the type's hosts ─► node | unplaced
 *  keyed function     key = input at shardBy (shardKeyOf)      ─► ring of the function's hosts ─► node | unplaced
 *  unkeyed function   no key                                   ─► any
 *  placeKey(key)      view missing or empty ─► unplaced, else ─► node = the key's ring owner
 * ```
 * The strategy is read from what is placed (today: a function's `shardBy`, or none; actors by their key) and
 * load from the view's members (`MemberView.loadScore`), so declared, load-aware strategies extend these
 * functions without changing their callers or the result type.
 *
 * Cost: one ring lookup for a keyed call or an actor, nothing for an unkeyed call; no allocation (see
 * `placement.ts`) beyond reading a non-string shard key.
 */
import type { ClusterView } from '../cluster-view.js';
import type { FunctionDefinition } from '../definition.js';
import { ANY_NODE, nodePlacement, type OwnerPlacement, type Placement, UNPLACED } from './placement.js';
import { shardKeyOf } from './shard-key.js';

/**
 * The owner of ring key `key` in `view`: {@link UNPLACED} when the view is missing or has no members, else the
 * {@link NodePlacement} of the key's ring owner. Never throws.
 */
export function placeKey(key: string, view: ClusterView | undefined): OwnerPlacement {
  if (view === undefined || view.members.length === 0) return UNPLACED;
  return nodePlacement(view.ring.owner(key));
}

/**
 * Like {@link placeKey}, on the ring of the members hosting `group` (`fn:<name>` or `actor:<type>`, see
 * `host-rings.ts`): the full ring when every member hosts the same, or nobody hosts `group`. Never throws.
 */
export function placeHostedKey(group: string, key: string, view: ClusterView | undefined): OwnerPlacement {
  if (view === undefined || view.members.length === 0) return UNPLACED;
  return nodePlacement(view.hostRings.ring(group).owner(key));
}

/**
 * Where a call of `definition` on `input` goes: {@link ANY_NODE} for an unkeyed function, else
 * {@link placeKey} of the input's shard key. The key is read (and checked) even without a view, so a bad input
 * fails the same way wherever it is placed.
 * @throws RoutingError when the function is keyed and `input` has no scalar value at `shardBy`.
 */
export function placeFunction(
  definition: FunctionDefinition,
  input: unknown,
  view: ClusterView | undefined,
): Placement {
  if (definition.shardBy === undefined) return ANY_NODE;
  const key = shardKeyOf(definition, input);
  if (view === undefined || view.members.length === 0) return UNPLACED;
  return nodePlacement(view.hostRings.functionRing(definition.name).owner(key));
}

/**
 * Where a message to the actor with key `key` (`actorKey(type, id)`) goes: its owner on the ring of the members
 * hosting its type, or {@link UNPLACED} without a view (an actor lives on one node; there is no "any node" for
 * it). Never throws; `key` is not checked (see `actorTargetSeparator`): a key without a type uses the full ring.
 */
export function placeActor(key: string, view: ClusterView | undefined): OwnerPlacement {
  if (view === undefined || view.members.length === 0) return UNPLACED;
  const hostRings = view.hostRings;
  if (hostRings.uniform) return nodePlacement(view.ring.owner(key));
  const slash = key.indexOf('/');
  const ring = slash <= 0 ? view.ring : hostRings.actorRing(key.slice(0, slash));
  return nodePlacement(ring.owner(key));
}
