import { ConfigError, RoutingError } from '../errors.js';

/**
 * A compiled field path (`order.symbol` -> `['order', 'symbol']`), parsed once when a strategy is defined so a
 * routing decision only walks properties.
 */
export interface FieldPath {
  /** The path as written, for error details. */
  readonly field: string;
  readonly segments: readonly string[];
}

/**
 * Parses a dotted path. Segments are own or inherited property names; array indexes work as digits (`items.0`).
 * @throws ConfigError when the path is empty or has an empty segment (`a..b`, `.a`).
 */
export function compileFieldPath(field: string): FieldPath {
  const segments = field.split('.');
  if (field.length === 0 || segments.some((s) => s.length === 0)) {
    throw new ConfigError({ subject: 'routing', field: 'field', reason: `'${field}' is not a dotted field path` });
  }
  return Object.freeze({ field, segments: Object.freeze(segments) });
}

/** The value at `path` in `message`, or undefined when any step is missing or not an object. Never throws. */
export function readField(message: unknown, path: FieldPath): unknown {
  let value = message;
  const segments = path.segments;
  for (let i = 0; i < segments.length; i++) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segments[i]!];
  }
  return value;
}

/**
 * The routing key at `path`: a string as is; a number, bigint or boolean as `String(value)` (so `42` and `'42'`
 * route alike).
 * @throws RoutingError naming the field when it is missing (undefined or null) or not one of those types;
 *   `target` is the strategy's name (the caller knows the call's target and may wrap it).
 */
export function readRoutingKey(message: unknown, path: FieldPath, target: string): string {
  const value = readField(message, path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw keyError(value, path, target);
}

/** The RoutingError for a field value that cannot be a key (missing or of the wrong type). */
export function keyError(value: unknown, path: FieldPath, target: string): RoutingError {
  const reason =
    value === undefined || value === null ? 'the field is missing' : `the field is a ${typeof value}, not a scalar`;
  return new RoutingError({ target, field: path.field, reason });
}
