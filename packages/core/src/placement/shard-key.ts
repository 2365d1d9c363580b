/**
 * The shard key of a keyed function's input: the value at the definition's `shardBy` path, as a string. Its
 * ring owner serves the call, so every process (client, any node) must read it the same way.
 */
import type { FunctionDefinition } from '../definition.js';
import { RoutingError } from '../errors.js';
import { readRoutingKey } from '../routing/field-path.js';

/**
 * The shard key of `input` for a keyed `definition`: the value at its `shardBy` path, a string as is and a
 * number, bigint or boolean as `String(value)` (so `42` and `'42'` place alike). Allocates only for non-strings.
 * @throws RoutingError (`target` = the function name, `field` = the path) when the function is unkeyed, or the
 *   value is missing or not a scalar.
 */
export function shardKeyOf(definition: FunctionDefinition, input: unknown): string {
  // A keyed definition's strategy (`hash`, `sticky`) carries its field path, compiled when it was defined; its
  // `shardBy` is that path as written.
  const path = definition.shardBy === undefined ? undefined : definition.routing?.field;
  if (path === undefined) {
    throw new RoutingError({ target: definition.name, field: 'shardBy', reason: 'the function is unkeyed' });
  }
  return readRoutingKey(input, path, definition.name);
}
