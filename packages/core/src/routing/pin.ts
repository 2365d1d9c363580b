import { ConfigError, NoCapacityError } from '../errors.js';
import { compileFieldPath, readRoutingKey } from './field-path.js';
import { chooseByKey } from './rendezvous.js';
import type { RoutingStrategy } from './strategy.js';

/**
 * Routes to the shards tagged `tag` (a specialization: `gpu`, `eu`, `pricing`). When several carry the tag, the
 * value at `field` picks one by rendezvous hashing (see `chooseByKey`), so a key stays on one tagged shard while
 * that shard is healthy; overloaded tagged shards are skipped.
 * @throws ConfigError (at definition) when `field` is not a dotted path or `tag` is empty.
 */
export function pin(field: string, tag: string): RoutingStrategy {
  const path = compileFieldPath(field);
  if (tag.length === 0) throw new ConfigError({ subject: 'routing', field: 'tag', reason: 'pin needs a tag' });
  const name = `pin(${field}, ${tag})`;
  return {
    name,
    initialState: () => undefined,
    route(message, view) {
      const key = readRoutingKey(message, path, name);
      const tagged = view.byTag.get(tag);
      if (tagged === undefined) throw new NoCapacityError({ target: name, reason: `no shard is tagged '${tag}'` });
      const chosen = chooseByKey(tagged, key);
      if (chosen === undefined) {
        throw new NoCapacityError({
          target: name,
          reason: `all ${tagged.length} shards tagged '${tag}' are overloaded`,
        });
      }
      return chosen.id;
    },
  };
}
