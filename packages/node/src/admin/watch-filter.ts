/**
 * What `lucent watch <pattern>` listens to. Event types are one subject token each (a dotted CloudEvent type such as
 * `orders.created` travels as `orders__created`, see core's `event-type-name.ts`), so a pattern over dotted types
 * cannot be a NATS wildcard: the watcher listens to the exact type's subject, or to every event of the cluster and
 * matches the dotted type here, with NATS's rules (`*` one dot-separated part, a final `>` the rest).
 *
 * ```
 *  OrderPlaced, orders.created   ─► that type's subject, every event matches
 *  orders.>, *.created, >        ─► lucent.<c>.events.>, matched on the dotted type
 * ```
 */
import { allEventsSubject, dottedEventType, eventSubject } from '@lucent/core/internal';

export interface WatchFilter {
  readonly subject: string;
  /** True when an event whose envelope names type `name` (its `__` form) is one to print. */
  matches(name: string): boolean;
}

const PART = '[A-Za-z0-9_-]+';
const PATTERN = new RegExp(`^(?:>|(?:${PART}|\\*)(?:\\.(?:${PART}|\\*))*(?:\\.>)?)$`);

/** The filter of event type or pattern `pattern` in `cluster`; `undefined` when it is neither. */
export function watchFilter(cluster: string, pattern: string): WatchFilter | undefined {
  if (!PATTERN.test(pattern)) return undefined;
  const parts = pattern.split('.');
  if (!parts.some((part) => part === '*' || part === '>')) {
    try {
      return { subject: eventSubject(cluster, pattern), matches: () => true };
    } catch {
      return undefined; // not a valid type (e.g. a part holding `__`)
    }
  }
  const source = parts.map((part) => (part === '*' ? '[^.]+' : part === '>' ? '.+' : part)).join('\\.');
  const regex = new RegExp(`^${source}$`);
  return { subject: allEventsSubject(cluster), matches: (name) => regex.test(dottedEventType(name)) };
}
