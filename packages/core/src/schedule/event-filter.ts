/**
 * Conditional triggers: `defineFunction({ handles, when })` runs the function only for events whose data passes
 * the predicate. The node that took the event evaluates it before anything runs, so a skipped event costs no
 * worker task; a skipped durable event is acknowledged (done) and publishes no `Completed` event.
 */
import { ConfigError } from '../errors.js';

/** A predicate on an event's data; pure and synchronous. */
export type EventPredicate = (data: unknown, type: string) => boolean;

/** As written: one predicate for every handled type, or one per type (types left out always run). */
export type EventFilterSpec = EventPredicate | { readonly [type: string]: (data: never, type: string) => boolean };

/** The resolved filter: true when the event of `type` with `data` should run. Throws what the predicate throws. */
export type EventFilter = (data: unknown, type: string) => boolean;

/**
 * Validates `spec` against the function's `handles`. Throws `ConfigError` (field `when`) when it is neither a
 * function nor an object of functions, names a type the function does not handle, or the function handles none.
 */
export function resolveEventFilter(
  spec: EventFilterSpec | undefined,
  handles: readonly string[],
  subject: string,
): EventFilter | undefined {
  if (spec === undefined) return undefined;
  if (handles.length === 0) {
    throw new ConfigError({ subject, field: 'when', reason: 'needs handles: the event types it filters' });
  }
  if (typeof spec === 'function') return (data, type) => spec(data, type) === true;
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError({
      subject,
      field: 'when',
      reason: 'expected (data, type) => boolean or { [type]: predicate }',
    });
  }
  const byType = new Map<string, EventPredicate>();
  for (const [type, predicate] of Object.entries(spec)) {
    if (!handles.includes(type)) {
      throw new ConfigError({ subject, field: `when.${type}`, reason: 'not an event type this function handles' });
    }
    if (typeof predicate !== 'function') {
      throw new ConfigError({ subject, field: `when.${type}`, reason: 'must be a function' });
    }
    byType.set(type, predicate as EventPredicate);
  }
  return (data, type) => {
    const predicate = byType.get(type);
    return predicate === undefined || predicate(data, type) === true;
  };
}
