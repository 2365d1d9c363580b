/**
 * Durable reminders from a function actor's machine. A machine asks for one with an xstate action, which emits a
 * request the actor's host hands to the node's {@link ReminderPort} (JetStream KV on a node, an in-memory twin in
 * tests); the node fires it later, on whichever node owns the actor then, as an ordinary event.
 *
 * ```ts
 * entry: reminders.set('expire', { afterMs: 30_000 }, { type: 'expire' }),   // replaces a reminder of that name
 * on: { paid: { actions: reminders.cancel('expire') }, expire: { ... } }    // event.reminder = { name, scheduledAt }
 * ```
 * Requests are emitted (xstate `emit`), not sent: they leave the machine like a reply does, so the machine stays
 * pure and replayable, and a machine with reminders runs unchanged without a node (nothing listens).
 * Ordering: the host writes a turn's requests in the order the machine emitted them. With `persist: 'durable'`
 * the ask that caused them is answered only once they are stored; otherwise they are written right behind.
 */
import type { ReminderSchedule } from '@lucent/core/internal';
import { type EventObject, emit, type MachineContext } from 'xstate';
import type { DeferredReply } from '../types.js';

/** Type of the emitted request to set (or replace) a reminder. */
export const REMINDER_SET_EVENT = 'lucent.reminder.set';
/** Type of the emitted request to cancel a reminder. */
export const REMINDER_CANCEL_EVENT = 'lucent.reminder.cancel';

/** The emitted request to set a reminder (what `reminders.set` emits). */
export interface ReminderSetRequest {
  readonly type: typeof REMINDER_SET_EVENT;
  readonly name: string;
  readonly schedule: ReminderSchedule;
  readonly event: EventObject;
}

/** The emitted request to cancel a reminder (what `reminders.cancel` emits). */
export interface ReminderCancelRequest {
  readonly type: typeof REMINDER_CANCEL_EVENT;
  readonly name: string;
}

/** What a fired reminder adds to its event, as the field `reminder`. */
export interface ReminderFiring {
  readonly name: string;
  /** When it was due (epoch ms). It fires at or after this, at least once. */
  readonly scheduledAt: number;
}

/** The event a reminder delivers: the event it was set with plus `reminder`. */
export type ReminderEvent<E extends EventObject = EventObject> = E & { readonly reminder: ReminderFiring };

/**
 * Where an actor's reminders are stored: the node's reminder store. Both methods are idempotent.
 * `set` rejects (or throws) `InvalidReminderError` for a bad name or schedule, and the store's errors
 * (`TimeoutError`, `NodeUnavailableError`) when it cannot write.
 */
export interface ReminderPort {
  set(type: string, id: string, name: string, schedule: ReminderSchedule, event: EventObject): Promise<void>;
  cancel(type: string, id: string, name: string): Promise<void>;
}

type Arg<T, TContext, TEvent> = T | ((args: { context: TContext; event: TEvent }) => T);

function resolve<T, TContext, TEvent>(value: Arg<T, TContext, TEvent>, args: { context: TContext; event: TEvent }): T {
  return typeof value === 'function' ? (value as (a: typeof args) => T)(args) : value;
}

/**
 * xstate action creators for durable reminders (see the module doc). Each argument may be a value or a function
 * of `{ context, event }`. A reminder is named per actor: setting a name again replaces it (and its schedule).
 */
export const reminders = {
  /**
   * Sets reminder `name` of this actor to deliver `event` (with `reminder: { name, scheduledAt }` added) on
   * `schedule`: `{ at }` (epoch ms or Date), `{ afterMs }`, or `{ everyMs }` (periodic until cancelled; missed
   * periods are skipped). A bad schedule is reported by the host (`InvalidReminderError`), the machine goes on.
   */
  set<TContext extends MachineContext, TExpressionEvent extends EventObject, TEvent extends EventObject>(
    name: Arg<string, TContext, TExpressionEvent>,
    schedule: Arg<ReminderSchedule, TContext, TExpressionEvent>,
    event: Arg<EventObject, TContext, TExpressionEvent>,
  ) {
    // biome-ignore lint/suspicious/noExplicitAny: the machine's declared emitted events need not list ours
    return emit<TContext, TExpressionEvent, undefined, TEvent, any>(
      (args: { context: TContext; event: TExpressionEvent }) => ({
        type: REMINDER_SET_EVENT,
        name: resolve(name, args),
        schedule: resolve(schedule, args),
        event: resolve(event, args),
      }),
    );
  },
  /** Cancels reminder `name` of this actor; cancelling a reminder that does not exist does nothing. */
  cancel<TContext extends MachineContext, TExpressionEvent extends EventObject, TEvent extends EventObject>(
    name: Arg<string, TContext, TExpressionEvent>,
  ) {
    // biome-ignore lint/suspicious/noExplicitAny: as in `set`
    return emit<TContext, TExpressionEvent, undefined, TEvent, any>(
      (args: { context: TContext; event: TExpressionEvent }) => ({
        type: REMINDER_CANCEL_EVENT,
        name: resolve(name, args),
      }),
    );
  },
};

/**
 * A reply that is answered only once `writes` are stored: resolved with the value when all succeed, rejected
 * with the first failure otherwise. For the host (durable mode); not for direct use.
 */
export function afterWrites(reply: DeferredReply, writes: readonly Promise<void>[]): DeferredReply {
  const stored = writes.length === 1 ? (writes[0] as Promise<void>) : Promise.all(writes);
  return {
    resolve(value: unknown): boolean {
      stored.then(
        () => reply.resolve(value),
        (error: unknown) => reply.reject(error),
      );
      return true;
    },
    reject(error: unknown): boolean {
      return reply.reject(error);
    },
  };
}
