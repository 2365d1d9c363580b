/**
 * Delayed messages (`client.tellAt` / `tellAfter`): a one-shot durable reminder of the target actor, written to
 * the cluster's reminder store and fired by the node that owns its partition when it is due, through the normal
 * request path (at least once; the actor receives the event with `reminder: { name, scheduledAt }` added).
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, ShuttingDownError } from '@lucent/core/internal';
import type { EventObject } from 'xstate';
import type { ClientCore } from './client-core.js';

/** Options of a delayed tell. */
export interface DelayedTellOptions {
  /**
   * The reminder's name (default a new unique one). A delayed tell with the name of a pending one replaces it;
   * pass the same name when retrying a `tellAt` whose promise rejected, so it is stored once.
   */
  readonly name?: string;
}

/**
 * Stores `event` for actor `type/id`, due at `when` (`{ at }`: epoch ms or Date; `{ afterMs }`), and resolves with the reminder's name once
 * stored (cancel it with `cancelReminder`). Rejects with `ConfigError` (bad type or id), `InvalidReminderError`
 * (bad time or name), `InvalidMessageError`, `ShuttingDownError`, or the store's `TimeoutError` /
 * `NodeUnavailableError`.
 */
export async function delayedTell(
  core: ClientCore,
  type: string,
  id: string,
  event: unknown,
  when: { readonly at: number | Date } | { readonly afterMs: number },
  options?: DelayedTellOptions,
): Promise<string> {
  if (core.isClosed) throw new ShuttingDownError({ node: 'client' });
  if (typeof type !== 'string' || type === '' || type.includes('/') || typeof id !== 'string' || id === '') {
    throw new ConfigError({
      subject: 'client.tellAt',
      field: 'type/id',
      reason: 'need a type name and a non-empty id',
    });
  }
  const name = options?.name ?? `tell-${randomUUID()}`;
  await core.reminders.set(type, id, name, when, event as EventObject);
  return name;
}
