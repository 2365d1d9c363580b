/**
 * What a function actor accepts as a message, checked before the message reaches its mailbox: an xstate event
 * is an object with a string `type`. Anything else (`{ nope: 1 }`, a string, `null`) would make the machine
 * throw inside the actor, which then restarts from its last snapshot and loses what it had not saved. Checked
 * here instead, it is the sender's error (`InvalidMessageError`) and the actor never sees it.
 *
 * Event types starting with `xstate.` are xstate's own (`xstate.init`, `xstate.stop`, ...): a sender must not
 * be able to forge them. Cost: a few property reads per message.
 */
import { InvalidMessageError } from '@lucent/core/internal';

/** Why `event` cannot be sent to an actor, or `undefined` when it can. Pure; never throws. */
export function actorMessageProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return `expected an event object with a string 'type', got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`;
  }
  const type = (event as { type?: unknown }).type;
  if (typeof type !== 'string' || type === '') return "the event has no string 'type'";
  if (type.startsWith('xstate.')) return `event type '${type}' is reserved for xstate`;
  return undefined;
}

/** `InvalidMessageError` for actor `type/id` when `event` is not a valid actor message, else `undefined`. */
export function checkActorMessage(type: string, id: string, event: unknown): InvalidMessageError | undefined {
  const reason = actorMessageProblem(event);
  return reason === undefined ? undefined : new InvalidMessageError({ actor: `${type}/${id}`, reason });
}
