import { NoCapacityError } from '../errors.js';
import { compileFieldPath, readRoutingKey } from './field-path.js';
import { RoutingKind, servesAny } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/**
 * Routes by the ring owner of the value at `field`, so the same key always reaches the same shard while
 * membership is unchanged, and a join or leave moves only ~1/N of keys. Does NOT skip overloaded shards: the
 * owner is authoritative for the key's state (see {@link RoutingStrategy}).
 * @throws ConfigError (at definition) when `field` is not a dotted path.
 */
export function hash(field: string): RoutingStrategy {
  const path = compileFieldPath(field);
  const name = `hash(${field})`;
  return {
    name,
    kind: RoutingKind.Hash,
    field: path,
    canServe: servesAny,
    initialState: () => undefined,
    route(message, view) {
      const key = readRoutingKey(message, path, name);
      if (view.members.length === 0) throw new NoCapacityError({ target: name, reason: 'the cluster has no members' });
      return view.ring.owner(key);
    },
  };
}
