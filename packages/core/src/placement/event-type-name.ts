/**
 * Dotted event types (CloudEvents' reverse-DNS convention, `com.example.order.created`) as Lucent event type
 * names, and back. Pure.
 *
 * A Lucent event type is one NATS subject token (`lucent.<cluster>.events.<type>`) and part of durable consumer
 * names (`<fn>--<type>`), where a dot is a separator or not allowed at all. So each dot is written `__`:
 *
 * ```
 *  com.example.order.created  ── eventTypeName ──►  com__example__order__created  ── dottedEventType ──►  com.example.order.created
 *  OrderPlaced                ──────────────────►  OrderPlaced (a name without dots is itself)
 * ```
 * Reversible and collision-free: each dot-separated segment must be letters, digits, `_` and `-` that neither
 * starts nor ends with `_` nor holds `__`, so `__` in a name can only come from a dot. Consequently a plain name
 * holding `__` reads as dotted on the way out (`a__b` leaves as the CloudEvent type `a.b`); the CloudEvents
 * gateway refuses an incoming type holding `__` (it would collide with the dotted one).
 */
import { ConfigError } from '../errors.js';

/** What a dot becomes in an event type name. */
export const DOT_IN_EVENT_TYPE = '__';

/** One segment of a dotted type: no leading or trailing `_`, no `__` (those would make `__` ambiguous). */
const SEGMENT = /^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/;
/** An event type name: a function name's rule (a subject token, starting with a letter or `_`, ≤ 128 chars). */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/**
 * Why `type` cannot be an event type, or `undefined` when it can. Dotted types follow the segment rule of the
 * module doc; the name they become must still be at most 128 characters and start with a letter or `_`.
 */
export function eventTypeProblem(type: string): string | undefined {
  if (!type.includes('.')) {
    return NAME.test(type) ? undefined : `'${type}' is not an event type (letters, digits, '_', '-' and '.')`;
  }
  for (const segment of type.split('.')) {
    if (!SEGMENT.test(segment)) {
      return (
        `'${type}' is not an event type: each dot-separated part must be letters, digits, '-' and single '_' ` +
        `inside it (got '${segment}')`
      );
    }
  }
  const name = type.replaceAll('.', DOT_IN_EVENT_TYPE);
  return NAME.test(name) ? undefined : `'${type}' is not an event type: it must start with a letter (≤ 128 chars)`;
}

/**
 * The Lucent event type name of `type`: dots written as `__`, a name without dots unchanged. Throws `ConfigError`
 * (field `eventType`) when `type` is neither a name nor a dotted type ({@link eventTypeProblem}).
 */
export function eventTypeName(type: string): string {
  if (!type.includes('.') && NAME.test(type)) return type;
  const problem = eventTypeProblem(type);
  if (problem !== undefined) throw new ConfigError({ subject: 'event type', field: 'eventType', reason: problem });
  return type.replaceAll('.', DOT_IN_EVENT_TYPE);
}

/** The dotted form of an event type name (`__` → `.`): the CloudEvent `type` of Lucent events on the way out. */
export function dottedEventType(name: string): string {
  return name.includes(DOT_IN_EVENT_TYPE) ? name.replaceAll(DOT_IN_EVENT_TYPE, '.') : name;
}
