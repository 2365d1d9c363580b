import { NoCapacityError } from '../errors.js';
import { isOverloaded } from '../scoring.js';
import { RoutingKind, servesAny } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/**
 * Routes to the member with the lowest load score (`MemberView.loadScore`), skipping overloaded ones; ties go
 * to the smallest id. The message is not read. Every router reading the same view picks the same shard, so
 * between load reports they all pile onto it: use it for coarse placement (activations, long jobs), and
 * `roundRobin` or `pin` for many small calls.
 */
export function leastLoaded(): RoutingStrategy {
  const name = 'leastLoaded()';
  return {
    name,
    kind: RoutingKind.LeastLoaded,
    field: undefined,
    canServe: servesAny,
    initialState: () => undefined,
    route(_message, view) {
      const members = view.members;
      let bestIndex = -1;
      let bestLoad = Number.POSITIVE_INFINITY;
      for (let i = 0; i < members.length; i++) {
        const load = members[i]!.loadScore;
        if (load < bestLoad && !isOverloaded(load)) {
          bestIndex = i;
          bestLoad = load;
        }
      }
      if (bestIndex < 0) {
        const reason =
          members.length === 0 ? 'the cluster has no members' : `all ${members.length} shards are overloaded`;
        throw new NoCapacityError({ target: name, reason });
      }
      return members[bestIndex]!.id;
    },
  };
}
