/**
 * Sets and cancels reminders: the one place that checks a reminder before it is stored. The actors' reminder
 * port on a node and the client's `tellAt` / `tellAfter` both write through it.
 */
import { actorMessageProblem, type ReminderPort } from '@lucent/actors/internal';
import {
  actorKey,
  type Clock,
  InvalidMessageError,
  type ReminderSchedule,
  resolveReminderSchedule,
} from '@lucent/core/internal';
import type { EventObject } from 'xstate';
import type { ReminderStore } from './reminder-store.js';

/** See the module doc. `store` is opened on first use (a node or client that never sets one opens nothing). */
export class ReminderWriter implements ReminderPort {
  readonly #store: () => Promise<ReminderStore>;
  readonly #clock: Clock;

  constructor(store: () => Promise<ReminderStore>, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * Stores reminder `name` of actor `type/id`, replacing one of that name. Rejects with `InvalidReminderError`
   * (bad name or schedule), `InvalidMessageError` (an event without a string `type`), `EncodeError`, or the
   * store's `TimeoutError` / `NodeUnavailableError` (then it may or may not be stored: setting again is safe).
   */
  async set(type: string, id: string, name: string, schedule: ReminderSchedule, event: EventObject): Promise<void> {
    const actor = actorKey(type, id);
    const { dueAt, everyMs } = resolveReminderSchedule(actor, name, schedule, this.#clock.wallNow());
    const problem = actorMessageProblem(event);
    if (problem !== undefined) throw new InvalidMessageError({ actor, reason: problem });
    const store = await this.#store();
    await store.put({ actorType: type, actorId: id, name, dueAt, everyMs, event });
  }

  /** Cancels reminder `name` of `type/id`; idempotent. Rejects with the store's errors. */
  async cancel(type: string, id: string, name: string): Promise<void> {
    const store = await this.#store();
    await store.remove(type, id, name);
  }
}
