/**
 * The shard key of a keyed function's input: the value at the definition's `shardBy` path, as a string. Its
 * ring owner serves the call, so every process (client, any node) must read it the same way.
 */
import type { FunctionDefinition } from '../definition.js';
import { RoutingError } from '../errors.js';
import { type FieldPath, readRoutingKey } from '../routing/field-path.js';

// Field paths built once per definition (definitions are frozen, so the object is a stable key).
const paths = new WeakMap<FunctionDefinition, FieldPath>();

/**
 * The shard key of `input` for a keyed `definition`: the value at its `shardBy` path, a string as is and a
 * number, bigint or boolean as `String(value)` (so `42` and `'42'` place alike). Allocates only for non-strings.
 * @throws RoutingError (`target` = the function name, `field` = the path) when the function is unkeyed, or the
 *   value is missing or not a scalar.
 */
export function shardKeyOf(definition: FunctionDefinition, input: unknown): string {
  const shardBy = definition.shardBy;
  if (shardBy === undefined) {
    throw new RoutingError({ target: definition.name, field: 'shardBy', reason: 'the function is unkeyed' });
  }
  let path = paths.get(definition);
  if (path === undefined) {
    path = Object.freeze({ field: shardBy, segments: definition.shardPath });
    paths.set(definition, path);
  }
  return readRoutingKey(input, path, definition.name);
}
