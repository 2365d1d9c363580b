/**
 * The result events of a function, as typed event definitions: `${name}Completed` carries the function's output,
 * `${name}Failed` the typed error (`error`, revived by the client) and, for an event-triggered run, which event
 * failed and after how many deliveries.
 */
import type { FunctionDefinition, OutputOf } from './definition.js';
import type { LucentError } from './errors.js';
import { defineEvent, type EventDefinition } from './function-context.js';

/** The `Completed` event type of function `name`. */
export function completedEventType(name: string): string {
  return `${name}Completed`;
}

/** The `Failed` event type of function `name`. */
export function failedEventType(name: string): string {
  return `${name}Failed`;
}

/** The data of a `${fn}Failed` event as a subscriber receives it. */
export interface FailedEvent {
  /** The typed error (revived from the wire: `TimeoutError.is(e.data.error)` works). */
  readonly error: LucentError;
  /** Event-triggered runs: the id and type of the event that failed, and its deliveries. */
  readonly eventId?: string;
  readonly eventType?: string;
  readonly attempts?: number;
}

/** `${fn}Completed`, typed by the definition's output. */
export function completedOf<D extends FunctionDefinition<never, unknown>>(definition: D): EventDefinition<OutputOf<D>> {
  return defineEvent<OutputOf<D>>(completedEventType(definition.name));
}

/** `${fn}Failed`, whose data is a {@link FailedEvent}. */
export function failedOf(definition: { readonly name: string }): EventDefinition<FailedEvent> {
  return defineEvent<FailedEvent>(failedEventType(definition.name));
}
