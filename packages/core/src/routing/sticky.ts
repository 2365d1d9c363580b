import { NoCapacityError } from '../errors.js';
import { compileFieldPath, readRoutingKey } from './field-path.js';
import { RoutingKind, servesAny } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/** Sticky assignments (key -> shard id), owned by the caller and updated in place by `route`. */
export interface StickyState {
  readonly assignments: Map<string, string>;
}

/**
 * Routes a key to the shard it was first assigned to (the ring owner at that time), and keeps it there until
 * that shard leaves the view, even when the ring would move it (a join). A key whose shard left is reassigned
 * to its current ring owner. Does NOT skip overloaded shards, for the same reason as `hash`.
 *
 * The table grows by one entry per distinct key; entries of departed shards are replaced lazily when their key
 * is next routed. Callers with many short-lived keys should prune `state.assignments` themselves.
 * @throws ConfigError (at definition) when `field` is not a dotted path.
 */
export function sticky(field: string): RoutingStrategy<StickyState> {
  const path = compileFieldPath(field);
  const name = `sticky(${field})`;
  return {
    name,
    kind: RoutingKind.Sticky,
    field: path,
    canServe: servesAny,
    initialState: () => ({ assignments: new Map() }),
    route(message, view, state) {
      const key = readRoutingKey(message, path, name);
      const assigned = state.assignments.get(key);
      if (assigned !== undefined && view.byId.has(assigned)) return assigned;
      if (view.members.length === 0) throw new NoCapacityError({ target: name, reason: 'the cluster has no members' });
      const owner = view.ring.owner(key);
      state.assignments.set(key, owner);
      return owner;
    },
  };
}
