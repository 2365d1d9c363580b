/**
 * The decision step of the router: given a decoded request, the cluster view and this node, what to do with
 * it. Pure (no I/O, no clock of its own: the time comes in as `nowMs`); the request handler carries the
 * decision out (runs, encodes, sends).
 *
 * ```
 *  envelope ─► deadline passed ──────────────────────────────────────► reject TimeoutError
 *           ─► Call      ─► registry ─► placeFunction ─┐
 *           ─► Tell/Ask  ─► type/id  ─► placeKey ──────┼─ here ─────────► serve (Tell/Ask: UnknownActorTypeError
 *           ─► Event ──────────────────────────────────┘                   when the node hosts no actors;
 *                                                      │                   OverloadedError: an owned hash/sticky
 *                                                      │                   call or an ask at load >= 0.9)
 *                                                      └─ owner X ─┬──► forward to X
 *                                                                  └──► reject HopLimitError (hops ≥ limit)
 *           ─► other kinds (Reply, Error, Control) ─────────────────► reject RoutingError
 * ```
 * An event is served where it arrives: the event dispatcher places each of its handlers itself. A call its sender
 * placed here under this node's own placement tag (`placedHere`: it came on the node's placed subject, see
 * `placement/placement-tag.ts` in core) is served without placing it again: equal tags, equal owners.
 *
 * Cost: serving decides with no allocation ({@link SERVE} is shared); a forward returns the placement's object;
 * only a rejection allocates (its error).
 */
import {
  actorTargetSeparator,
  attemptOf,
  type ClusterView,
  type Envelope,
  EnvelopeKind,
  envelopeKindName,
  type FunctionDefinition,
  type FunctionRegistry,
  HopLimitError,
  isRemote,
  type LucentError,
  type NodePlacement,
  placeActor,
  placeCallAt,
  RoutingError,
  type RoutingStates,
  TimeoutError,
  toLucentError,
  UnknownActorTypeError,
} from '@lucent/core/internal';
import { askOverloadRefusal, type LocalLoad, overloadRefusal } from './overload-gate.js';

/** This node, as the decision sees it. Built once per request handler. */
export interface RouteNode {
  /** The node's id: a placement on it is served here. */
  readonly nodeId: string;
  /** The functions this node knows (names, versions, `shardBy`); a call of anything else is rejected. */
  readonly functions: FunctionRegistry;
  /** Most forwards a message may have had before this node refuses to forward it again. */
  readonly hopLimit: number;
  /** False when the node hosts no function actors: a tell or ask to be served here is rejected. */
  readonly hostsActors: boolean;
  /** State of the stateful strategies this node forwards with (`router/` owns one). */
  readonly routingStates: RoutingStates;
  /** This node's live load: an owner at load >= 0.9 refuses `hash`/`sticky` calls (`overload-gate.ts`). */
  readonly load: LocalLoad;
}

/** Serve the request here: run the call, deliver the tell or ask, dispatch the event (by `envelope.kind`). */
export interface ServeDecision {
  readonly type: 'serve';
}

/** Send the request on to `node`, the owner of its key in this node's view (core's placement, as it came). */
export type ForwardDecision = NodePlacement;

/** Answer the request with `error` (or, for a one-way message, drop it); nothing runs. */
export interface RejectDecision {
  readonly type: 'reject';
  readonly error: LucentError;
}

/** What to do with one request; discriminated on `type`. */
export type RouteDecision = ServeDecision | ForwardDecision | RejectDecision;

/** The one serve decision (frozen, shared): deciding to serve allocates nothing. */
export const SERVE: ServeDecision = Object.freeze({ type: 'serve' });

/**
 * Decides what `node` does with `envelope` under `view` at epoch-ms time `nowMs` (see the module doc). A view
 * that is missing or empty places everything here. Never throws: a failure to look up or place the request
 * (`UnknownFunctionError`, `FunctionDisabledError`, `RoutingError` for a missing shard key or a malformed
 * actor target, ...) is a {@link RejectDecision}.
 * @param placedHere the sender placed the request on this node with a view of this node's placement tag
 */
export function decideRoute(
  envelope: Envelope,
  view: ClusterView | undefined,
  node: RouteNode,
  nowMs: number,
  placedHere = false,
): RouteDecision {
  if (envelope.deadline !== 0 && nowMs >= envelope.deadline) {
    return reject(new TimeoutError({ target: envelope.target, timeoutMs: 0 }));
  }
  try {
    switch (envelope.kind) {
      case EnvelopeKind.Call:
        return decideCall(envelope, view, node, placedHere);
      case EnvelopeKind.Tell:
      case EnvelopeKind.Ask:
        return decideActorMessage(envelope, view, node);
      case EnvelopeKind.Event:
        return SERVE;
      case EnvelopeKind.Batch:
        // A gather's batch was partitioned by the sender's view; a pure function is served wherever it lands.
        node.functions.find(envelope.target) ?? node.functions.get(envelope.target);
        return SERVE;
      default: {
        const reason = `${envelopeKindName(envelope.kind)} envelopes are not requests`;
        return reject(new RoutingError({ target: envelope.target, field: 'kind', reason }));
      }
    }
  } catch (error) {
    return reject(toLucentError(error, envelope.target));
  }
}

function decideCall(
  envelope: Envelope,
  view: ClusterView | undefined,
  node: RouteNode,
  placedHere: boolean,
): RouteDecision {
  // `get` throws UnknownFunctionError / FunctionDisabledError; `find` first keeps the hit path to one lookup.
  const definition = node.functions.find(envelope.target) ?? node.functions.get(envelope.target);
  // Placed by its sender under this node's own placement tag: the same ring would name this node again.
  if (placedHere) return serveUnlessOverloaded(definition, envelope, node);
  const placement = placeCallAt(
    definition,
    envelope.payload,
    view,
    node.nodeId,
    node.routingStates,
    attemptOf(envelope),
  );
  if (isRemote(placement, node.nodeId)) return forwardTo(envelope, placement, node);
  return serveUnlessOverloaded(definition, envelope, node);
}

function serveUnlessOverloaded(definition: FunctionDefinition, envelope: Envelope, node: RouteNode): RouteDecision {
  const refusal = overloadRefusal(definition, node.load, node.nodeId, envelope.target);
  return refusal === undefined ? SERVE : reject(refusal);
}

function decideActorMessage(envelope: Envelope, view: ClusterView | undefined, node: RouteNode): RouteDecision {
  const target = envelope.target;
  const slash = actorTargetSeparator(target);
  if (slash < 0) return reject(new RoutingError({ target, field: 'target', reason: "an actor target is 'type/id'" }));
  const placement = placeActor(target, view);
  if (isRemote(placement, node.nodeId)) return forwardTo(envelope, placement, node);
  if (!node.hostsActors) return reject(new UnknownActorTypeError({ type: target.slice(0, slash) }));
  const refusal = envelope.kind === EnvelopeKind.Ask ? askOverloadRefusal(node.load, node.nodeId, target) : undefined;
  return refusal === undefined ? SERVE : reject(refusal);
}

function forwardTo(envelope: Envelope, placement: ForwardDecision, node: RouteNode): RouteDecision {
  if (envelope.hops >= node.hopLimit)
    return reject(new HopLimitError({ target: envelope.target, hops: envelope.hops }));
  return placement;
}

function reject(error: LucentError): RejectDecision {
  return { type: 'reject', error };
}
