import type { MemberView } from '../cluster-view.js';
import { ConfigError, RoutingError } from '../errors.js';
import { compileFieldPath, keyError, readField } from './field-path.js';
import { chooseTagged } from './pin.js';
import { RoutingKind } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/** Range bounds are all numbers or all strings (compared with `<`, i.e. by UTF-16 code units). */
export type RangeValue = number | string;

/**
 * Routes by which range the value at `field` falls in: a value in `[bounds[i], bounds[i + 1])` goes to the
 * shards tagged `tags[i]`, so `tags.length === bounds.length - 1`. Use `-Infinity` / `Infinity` as outer
 * bounds for open-ended ranges. Among the shards of a range, the value picks one by rendezvous hashing; overloaded
 * ones are skipped.
 *
 * ```
 *   range('order.price', [0, 100, 1000, Infinity], ['small', 'medium', 'large'])
 *   price 99.5 -> 'small'   price 100 -> 'medium'   price 1e6 -> 'large'   price -1 -> RoutingError
 * ```
 * @throws ConfigError (at definition) when bounds are fewer than 2, not strictly increasing, of mixed types, or
 *   NaN, or when `tags` does not have one tag per range.
 */
export function range(field: string, bounds: readonly RangeValue[], tags: readonly string[]): RoutingStrategy {
  const path = compileFieldPath(field);
  const sorted = validateBounds(bounds, tags);
  const kind = typeof sorted[0];
  const last = sorted.length - 1;
  const name = `range(${field})`;
  const tagList = Object.freeze([...tags]);
  /** Index of the range `message`'s value falls in; throws RoutingError when it has none. */
  const rangeOf = (message: unknown): { value: RangeValue; index: number } => {
    const value = readField(message, path);
    if (typeof value !== kind) {
      if (value === undefined || value === null) throw keyError(value, path, name);
      throw new RoutingError({ target: name, field, reason: `the field is a ${typeof value}, bounds are ${kind}s` });
    }
    const v = value as RangeValue;
    if (!(v >= sorted[0]! && v < sorted[last]!)) {
      throw new RoutingError({ target: name, field, reason: `value is outside [${sorted[0]}, ${sorted[last]})` });
    }
    // Binary search for the last bound <= v.
    let lo = 0;
    let hi = last - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (sorted[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    return { value: v, index: lo };
  };
  return {
    name,
    kind: RoutingKind.Range,
    field: path,
    canServe: (message: unknown, member: MemberView) => member.tags.includes(tagList[rangeOf(message).index]!),
    initialState: () => undefined,
    route(message, view) {
      const { value, index } = rangeOf(message);
      const tag = tagList[index]!;
      return chooseTagged(view.byTag.get(tag), tag, String(value), name);
    },
  };
}

function validateBounds(bounds: readonly RangeValue[], tags: readonly string[]): readonly RangeValue[] {
  const fail = (reason: string) => new ConfigError({ subject: 'routing', field: 'range bounds', reason });
  if (bounds.length < 2) throw fail('needs at least 2 bounds');
  if (tags.length !== bounds.length - 1) throw fail(`${bounds.length} bounds need ${bounds.length - 1} tags`);
  const kind = typeof bounds[0];
  if (kind !== 'number' && kind !== 'string') throw fail('bounds must be numbers or strings');
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i]!;
    if (typeof b !== kind) throw fail('bounds must all be numbers or all strings');
    if (typeof b === 'number' && Number.isNaN(b)) throw fail('a bound is NaN');
    if (i > 0 && !(bounds[i - 1]! < b)) throw fail('bounds must be strictly increasing');
  }
  return Object.freeze([...bounds]);
}
