/**
 * Where a client's retry of a *pure* function call goes: to a capable node that has not failed this call. A pure
 * function keeps no state, so a keyed (`hash`) call need not wait for its owner: the retry runs on the next node
 * of the key on the function's ring, and that node serves it instead of forwarding it back
 * ({@link placeCallAt} with `attempt >= 2`). Actors are never placed here (they are not retried blindly).
 *
 * ```
 *  hash(field)          the key's nodes in ring order (owner, then its successors) ─► first usable
 *  pin/range/choosing   the strategy's choice if usable, else a capable host        ─► first usable, from `attempt`
 *  queue, or by name    the function's hosts (named-call.ts)                        ─► first usable, from `attempt`
 *  none usable / no view                                                            ─► any (queue group)
 * ```
 * "Usable" is the caller's test (`avoid(node)` false): not a node that failed this call, not one whose breaker
 * is open. Starting the scan at the attempt number spreads the retries of many calls over the survivors.
 * Cost: only retries pay; a `hash` retry lists the key's ring nodes once (`HashRing.owners`).
 */
import type { ClusterView } from '../cluster-view.js';
import type { FunctionDefinition } from '../definition.js';
import { RoutingKind } from '../routing/routing-kind.js';
import { functionHostsView } from './function-hosts.js';
import { hostsOfRef } from './named-call.js';
import { placeFunction } from './place.js';
import { ANY_NODE, nodePlacement, type Placement, PlacementType } from './placement.js';
import { shardKeyOf } from './shard-key.js';

/**
 * Where attempt number `attempt` (2 = the first retry) of a call of `ref` goes under `view` (see the module doc).
 * `definition` is the caller's, `undefined` for a call by name. Never throws: a strategy that cannot place the
 * input falls back to the function's hosts.
 */
export function placeRetry(
  definition: FunctionDefinition | undefined,
  ref: string,
  input: unknown,
  view: ClusterView | undefined,
  avoid: (node: string) => boolean,
  attempt: number,
): Placement {
  if (view === undefined || view.members.length === 0) return ANY_NODE;
  const routing = definition?.routing;
  if (definition !== undefined && routing !== undefined) {
    try {
      if (routing.kind === RoutingKind.Hash) {
        const rings = view.hostRings;
        const ring = rings.uniform ? view.ring : rings.functionRing(definition.name);
        for (const node of ring.owners(shardKeyOf(definition, input), ring.size)) {
          if (!avoid(node)) return nodePlacement(node);
        }
        return ANY_NODE;
      }
      const chosen = placeFunction(definition, input, view);
      if (chosen.type === PlacementType.Node && !avoid(chosen.node)) return chosen;
      const members = functionHostsView(view, definition.name).members;
      for (let i = 0; i < members.length; i++) {
        const member = members[(attempt + i) % members.length]!;
        if (!avoid(member.id) && routing.canServe(input, member)) return nodePlacement(member.id);
      }
      return ANY_NODE;
    } catch {
      // The input cannot be placed by its strategy (the node will say why): any host may answer that.
    }
  }
  const hosts = hostsOfRef(ref, view);
  for (let i = 0; i < hosts.length; i++) {
    const node = hosts[(attempt + i) % hosts.length]!;
    if (!avoid(node)) return nodePlacement(node);
  }
  return ANY_NODE;
}
