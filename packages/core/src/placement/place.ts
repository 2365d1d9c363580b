/**
 * The placement decision, in one place: every client, router, hand-off and lease sweep asks here where a
 * message goes, so processes with the same view agree. Pure: (what, input, view) in, a {@link Placement} out.
 *
 * ```
 *  actor tell/ask     key = type/id (actorKey)                 ─► ring of the type's hosts ─► node | unplaced
 *  hash(field)        key = input at the field (shardKeyOf)    ─► ring of the function's hosts ─► node | unplaced
 *  sticky(field)      first owner seen, kept while it lives     ─► node | unplaced (no view)
 *  pin / range        a host tagged for the value               ─► node | any (no view) | NoCapacityError
 *  roundRobin         the next host                             ─► node | any (no view)
 *  leastLoaded        the host with the lowest load score       ─► node | any (no view)
 *  queue (default)    no key                                   ─► any (the function's queue group)
 *  placeKey(key)      view missing or empty ─► unplaced, else ─► node = the key's ring owner
 * ```
 * Hosts: every strategy places a function only on the members hosting a version of it (`hash` on its host
 * ring, the choosing ones and `sticky` on its hosts' view, `function-hosts.ts`); a uniform cluster skips that.
 *
 * Load: strategies that choose among shards skip those at load >= 0.9 (`scoring.ts`); when every capable
 * shard is, the least-loaded capable one is chosen rather than none. `hash`/`sticky` keep the owner (state
 * lives there); a busy owner refuses with `OverloadedError` (the router's decision).
 *
 * Degradation: a shard that reports a function degraded (its p50 past 1.5× its baseline there) is passed over
 * for that function by the choosing strategies while a healthy capable shard exists.
 *
 * A node that receives a call places it with {@link placeCallAt}: it serves what it may serve (its own keys,
 * a tag it carries, any call of a strategy that chose it, a client's retry of a keyed call) and forwards the
 * rest. Retries are placed by `retry-placement.ts`, calls by name by `named-call.ts`.
 *
 * Cost: one ring lookup for a `hash` call or an actor, nothing for a queue call, one pass over the hosts for
 * the choosing strategies (plus two cached lookups when not every member hosts the function); no allocation on the `hash` path (see `placement.ts`) beyond reading a
 * non-string shard key.
 */
import type { ClusterView } from '../cluster-view.js';
import type { FunctionDefinition } from '../definition.js';
import { NoCapacityError } from '../errors.js';
import { keyError, readField } from '../routing/field-path.js';
import { RoutingKind } from '../routing/routing-kind.js';
import type { AnyRoutingStrategy } from '../routing/strategy.js';
import { isOverloaded } from '../scoring.js';
import { functionHostsView } from './function-hosts.js';
import { ANY_NODE, nodePlacement, type OwnerPlacement, type Placement, UNPLACED } from './placement.js';
import { shardKeyOf } from './shard-key.js';

/**
 * The state of the stateful strategies (`roundRobin`'s position, `sticky`'s assignments), one per strategy,
 * owned by one router or client. Placement without one uses a per-process default.
 */
export class RoutingStates {
  readonly #states = new WeakMap<AnyRoutingStrategy, unknown>();

  /** The state of `strategy`, made with its `initialState()` on first use. */
  of(strategy: AnyRoutingStrategy): unknown {
    // One lookup per call: a stateless strategy's `undefined` is stored as NO_STATE, so a miss means first use.
    const state = this.#states.get(strategy);
    if (state === NO_STATE) return undefined;
    if (state !== undefined) return state;
    const initial = strategy.initialState();
    this.#states.set(strategy, initial === undefined ? NO_STATE : initial);
    return initial;
  }
}

/** Stands for a stateless strategy's `undefined` state in {@link RoutingStates}. */
const NO_STATE: unique symbol = Symbol('no routing state');

const DEFAULT_STATES = new RoutingStates();

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
 * Where a call of `definition` on `input` goes, as the sender sees it (see the module doc): {@link ANY_NODE} for
 * a queue-routed function, else the node its strategy picks. The routing field is read (and checked) even without
 * a view, so a bad input fails the same way wherever it is placed.
 * @throws RoutingError when `input` has no usable value at the strategy's field (a missing pin tag, a value
 *   outside a range); NoCapacityError (naming the strategy and the tag) when members are known but none can serve.
 */
export function placeFunction(
  definition: FunctionDefinition,
  input: unknown,
  view: ClusterView | undefined,
  states: RoutingStates = DEFAULT_STATES,
): Placement {
  const routing = definition.routing;
  if (routing === undefined) return ANY_NODE;
  // The hot path, as before strategies: one ring lookup, no allocation.
  if (routing.kind === RoutingKind.Hash) return placeHashed(definition.name, shardKeyOf(definition, input), view);
  if (view === undefined || view.members.length === 0) {
    checkField(routing, input);
    return routing.kind === RoutingKind.Sticky ? UNPLACED : ANY_NODE;
  }
  // Choose among the function's hosts only (the view itself when every member hosts the same: no lookup).
  const hosts = functionHostsView(view, definition.name);
  const chosen = routeWithFallback(routing, input, hosts, states);
  return nodePlacement(
    routing.kind === RoutingKind.Sticky ? chosen : preferHealthy(definition.name, routing, input, hosts, chosen),
  );
}

/**
 * Where a call of `definition` that arrived at node `nodeId` goes: {@link ANY_NODE} when this node serves it
 * (a queue, `roundRobin`, `leastLoaded` or `sticky` call, or a `pin`/`range` call whose tag it carries while it
 * hosts the function), the ring owner for `hash`, else the host the strategy picks (forward). A client's retry
 * (`attempt` >= 2) of a `hash` call is served where it arrives: the client sent it past the nodes that failed it
 * (`retry-placement.ts`), and a pure function needs no owner. Throws like {@link placeFunction}.
 */
export function placeCallAt(
  definition: FunctionDefinition,
  input: unknown,
  view: ClusterView | undefined,
  nodeId: string,
  states: RoutingStates = DEFAULT_STATES,
  attempt = 1,
): Placement {
  const routing = definition.routing;
  if (routing === undefined) return ANY_NODE;
  switch (routing.kind) {
    case RoutingKind.Hash: {
      const key = shardKeyOf(definition, input);
      return attempt > 1 ? ANY_NODE : placeHashed(definition.name, key, view);
    }
    case RoutingKind.Pin:
    case RoutingKind.Range: {
      if (view === undefined || view.members.length === 0) {
        checkField(routing, input);
        return ANY_NODE;
      }
      // Served here when this node hosts the function and carries the tag; else a host that does.
      const hosts = functionHostsView(view, definition.name);
      const self = hosts.byId.get(nodeId);
      if (self !== undefined && routing.canServe(input, self)) return ANY_NODE;
      return nodePlacement(routeWithFallback(routing, input, hosts, states));
    }
    default:
      // The sender's strategy chose this node (sticky: from its own assignments): serve it here.
      checkField(routing, input);
      return ANY_NODE;
  }
}

/**
 * The owner of a `hash`-routed function's key, on the ring of the members hosting the function (the full ring
 * when every member hosts the same: one lookup, no allocation).
 */
function placeHashed(name: string, key: string, view: ClusterView | undefined): OwnerPlacement {
  if (view === undefined || view.members.length === 0) return UNPLACED;
  const hostRings = view.hostRings;
  return nodePlacement((hostRings.uniform ? view.ring : hostRings.functionRing(name)).owner(key));
}

/**
 * `routing.route`, except that when it finds every capable shard overloaded, the least-loaded capable shard
 * (seed 001's fallback). No capable shard at all (no member, no tag) stays a NoCapacityError.
 */
function routeWithFallback(
  routing: AnyRoutingStrategy,
  input: unknown,
  view: ClusterView,
  states: RoutingStates,
): string {
  try {
    return routing.route(input, view, states.of(routing));
  } catch (error) {
    if (!NoCapacityError.is(error)) throw error;
    let best: string | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const member of view.members) {
      if (member.loadScore < bestLoad && routing.canServe(input, member)) {
        best = member.id;
        bestLoad = member.loadScore;
      }
    }
    if (best === undefined) throw error;
    return best;
  }
}

/**
 * `chosen`, unless the function runs degraded there (its p50 past 1.5× its baseline, `degradation.ts`): then the
 * least-loaded capable shard where it is healthy and not overloaded, if there is one. Costs one lookup when no
 * shard reports the function degraded.
 */
function preferHealthy(
  name: string,
  routing: AnyRoutingStrategy,
  input: unknown,
  view: ClusterView,
  chosen: string,
): string {
  const degraded = view.byId.get(chosen)?.load.degraded;
  if (degraded === undefined || !degraded.includes(name)) return chosen;
  let best: string | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const member of view.members) {
    if (member.id === chosen || isOverloaded(member.loadScore) || member.load.degraded?.includes(name)) continue;
    if (member.loadScore < bestLoad && routing.canServe(input, member)) {
      best = member.id;
      bestLoad = member.loadScore;
    }
  }
  return best ?? chosen;
}

/** Throws the strategy's RoutingError when `input` lacks the field it routes by. */
function checkField(routing: AnyRoutingStrategy, input: unknown): void {
  const field = routing.field;
  if (field === undefined) return;
  const value = readField(input, field);
  if (value === undefined || value === null) throw keyError(value, field, routing.name);
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
