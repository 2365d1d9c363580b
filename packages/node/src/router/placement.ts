/**
 * Where a message is served: a pure decision over (message, cluster view, this node). The request handler and
 * the client both use it, so a node and a client with the same view pick the same owner.
 *
 * ```
 *  actor tell/ask      key = `${type}/${id}` (the envelope target)  ──► ring.owner(key)
 *  keyed function      key = input[shardBy] (numbers as strings)    ──► ring.owner(key)
 *  unkeyed function    any node                                     ──► local
 * ```
 * An empty view (membership not known yet) places everything locally: there is nobody to forward to.
 */
import { type ClusterView, type FunctionDefinition, RoutingError, routing } from '@lucent/core';

/** The live cluster view, as membership maintains it. `current()` is read once per routing decision. */
export interface ViewSource {
  /** The view to route with now; `undefined` while none is known (everything is then placed locally). */
  current(): ClusterView | undefined;
}

/**
 * A {@link ViewSource} reading the `view` property of `holder` at each decision (e.g. the node's `Membership`,
 * whose `view` is rebuilt on membership changes).
 */
export function viewSourceOf(holder: { readonly view: ClusterView | undefined }): ViewSource {
  return { current: () => holder.view };
}

/** A {@link ViewSource} that always returns `view` (tests, single-node setups, clients with a fixed topology). */
export function fixedViewSource(view: ClusterView | undefined): ViewSource {
  return { current: () => view };
}

/** Serve here. */
export interface LocalPlacement {
  readonly type: 'local';
}

/** Send to `node`, the key's owner in this view. */
export interface ForwardPlacement {
  readonly type: 'forward';
  readonly node: string;
}

/** What to do with a message; discriminated on `type`. */
export type Placement = LocalPlacement | ForwardPlacement;

/** The one local placement (frozen, shared): deciding "local" allocates nothing. */
export const LOCAL: LocalPlacement = Object.freeze({ type: 'local' });

/**
 * Placement of `key` on the ring of `view` for the node `selfId`. Local when the view is missing or empty or
 * when `selfId` owns the key; otherwise a forward to the owner. Never throws. Allocates only for a forward.
 */
export function placeKey(key: string, view: ClusterView | undefined, selfId: string): Placement {
  if (view === undefined || view.members.length === 0) return LOCAL;
  const owner = view.ring.owner(key);
  return owner === selfId ? LOCAL : { type: 'forward', node: owner };
}

/**
 * Placement of a call of `definition` on `input`: {@link LOCAL} for an unkeyed function, else the ring owner of
 * the input's shard key (see {@link shardKeyOf}).
 * @throws RoutingError when the function is keyed and the input lacks a scalar value at `shardBy`.
 */
export function placeFunction(
  definition: FunctionDefinition,
  input: unknown,
  view: ClusterView | undefined,
  selfId: string,
): Placement {
  if (definition.shardBy === undefined) return LOCAL;
  return placeKey(shardKeyOf(definition, input), view, selfId);
}

// Field paths compiled once per definition (definitions are frozen, so the object is a stable key).
const paths = new WeakMap<FunctionDefinition, routing.FieldPath>();

/**
 * The shard key of `input` for a keyed `definition`: the value at its `shardBy` path, a string as is and a
 * number, bigint or boolean as `String(value)` (the rule of core's `routing.hash`, so `42` and `'42'` agree).
 * @throws RoutingError (target = the function name) when the function is unkeyed, or the value is missing or
 *   not a scalar.
 */
export function shardKeyOf(definition: FunctionDefinition, input: unknown): string {
  const shardBy = definition.shardBy;
  if (shardBy === undefined) {
    throw new RoutingError({ target: definition.name, field: 'shardBy', reason: 'the function is unkeyed' });
  }
  let path = paths.get(definition);
  if (path === undefined) {
    path = Object.freeze({ field: shardBy, segments: definition.shardPath });
    paths.set(definition, path);
  }
  return routing.readRoutingKey(input, path, definition.name);
}

/** The ring key (and envelope target) of actor `id` of `type`: `${type}/${id}`. */
export function actorKey(type: string, id: string): string {
  return `${type}/${id}`;
}

/**
 * Index of the `/` that separates type from id in an actor target, or -1 when `target` is not `type/id` (no
 * slash, or an empty type or id). Ids may themselves contain `/`: the first slash separates.
 */
export function actorTargetSeparator(target: string): number {
  const slash = target.indexOf('/');
  return slash <= 0 || slash === target.length - 1 ? -1 : slash;
}
