/**
 * Where a message goes: the result of every placement decision (`place.ts`), a closed set discriminated on
 * `type`. The caller acts on it: a client picks a subject, a node serves or forwards.
 *
 * ```
 *  { type: 'node', node }   the message belongs to `node` (a keyed call's or an actor's owner)
 *  { type: 'any' }          any node may serve it (an unkeyed function: queue group, or serve where it is)
 *  { type: 'unplaced' }     it belongs to one node, but no cluster view is known to say which
 * ```
 * Results are frozen and shared: `any` and `unplaced` are constants and `node` results are interned per node
 * id, so placing a message allocates nothing. Compare results by `type` (and `node`), not by identity.
 */

/** The `type`s of a {@link Placement}. */
export const PlacementType = {
  Node: 'node',
  Any: 'any',
  Unplaced: 'unplaced',
} as const;
export type PlacementType = (typeof PlacementType)[keyof typeof PlacementType];

/** The message belongs to `node`, a member of the view it was placed with. */
export interface NodePlacement {
  readonly type: typeof PlacementType.Node;
  readonly node: string;
}

/** Any node may serve the message. */
export interface AnyPlacement {
  readonly type: typeof PlacementType.Any;
}

/** The message belongs to one node, but the view is missing or empty, so which one is unknown. */
export interface UnplacedPlacement {
  readonly type: typeof PlacementType.Unplaced;
}

/** Where a message goes; see the module doc. */
export type Placement = NodePlacement | AnyPlacement | UnplacedPlacement;

/** The placement of a message that belongs to one node (a ring key, an actor). */
export type OwnerPlacement = NodePlacement | UnplacedPlacement;

/** The one {@link AnyPlacement} (frozen, shared). */
export const ANY_NODE: AnyPlacement = Object.freeze({ type: PlacementType.Any });

/** The one {@link UnplacedPlacement} (frozen, shared). */
export const UNPLACED: UnplacedPlacement = Object.freeze({ type: PlacementType.Unplaced });

// Interned node placements. Bounded: a long-lived client that sees many short-lived node ids starts over
// rather than growing; starting over only costs re-allocating the placements of live nodes.
const MAX_INTERNED = 4096;
const interned = new Map<string, NodePlacement>();
// The last one returned: a node placing its own keys, or a client talking to one owner, hits it every time.
let lastPlacement: NodePlacement = Object.freeze({ type: PlacementType.Node, node: '' });

/**
 * The {@link NodePlacement} of `node`, frozen and shared: repeated calls with one id return one object, so it
 * allocates only when an id is new (or, after more than 4096 distinct ids, once more). Never throws.
 */
export function nodePlacement(node: string): NodePlacement {
  if (lastPlacement.node === node) return lastPlacement;
  let placement = interned.get(node);
  if (placement === undefined) {
    if (interned.size >= MAX_INTERNED) interned.clear();
    placement = Object.freeze({ type: PlacementType.Node, node });
    interned.set(node, placement);
  }
  lastPlacement = placement;
  return placement;
}

/**
 * True when `placement` sends the message to a node other than `nodeId`, which must then forward it; false
 * when `nodeId` serves it: its own key, any node, or unplaced (there is nobody known to forward to).
 */
export function isRemote(placement: Placement, nodeId: string): placement is NodePlacement {
  return placement.type === PlacementType.Node && placement.node !== nodeId;
}
