import { NoCapacityError } from '../errors.js';
import { isOverloaded } from '../scoring.js';
import { RoutingKind, servesAny } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/** Position of the next round-robin pick, owned by the caller and updated in place by `route`. */
export interface RoundRobinState {
  next: number;
}

/**
 * Routes to members in id order, one after the other, skipping overloaded ones. The message is not read.
 * When membership changes the position is kept modulo the new size, so the rotation continues without restart.
 */
export function roundRobin(): RoutingStrategy<RoundRobinState> {
  const name = 'roundRobin()';
  return {
    name,
    kind: RoutingKind.RoundRobin,
    field: undefined,
    canServe: servesAny,
    initialState: () => ({ next: 0 }),
    route(_message, view, state) {
      const members = view.members;
      const n = members.length;
      if (n === 0) throw new NoCapacityError({ target: name, reason: 'the cluster has no members' });
      const start = state.next % n;
      for (let step = 0; step < n; step++) {
        const i = (start + step) % n;
        const member = members[i]!;
        if (!isOverloaded(member.loadScore)) {
          state.next = (i + 1) % n;
          return member.id;
        }
      }
      throw new NoCapacityError({ target: name, reason: `all ${n} shards are overloaded` });
    },
  };
}
