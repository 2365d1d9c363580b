/**
 * A saga step's durable `ctx.waitFor(type, match, timeoutMs)`. The events a saga waits for reach it through its
 * subscriptions (`defineSaga({ subscribe })`, delivered by the node that consumes the durable event and stored in
 * the saga's inbox by its actor), so nothing depends on a node listening at the right moment:
 *
 * ```
 *  saga.wait(key, deadline) stored (a second one keeps the first deadline: a step run again after a crash)
 *     │
 *     ▼
 *  claims[key]? ─yes─► its data
 *     │ no
 *  first inbox event of `type` that `match`es ─► saga.claim(key, eventId) stored ─► (loop: claims[key])
 *     │ none
 *  deadline passed? ─yes─► TimeoutError
 *     │ no
 *  sleep until a wake-up for the saga, the poll period, or the stop signal ─► re-read the state ─► (loop)
 * ```
 * `match` runs on the driving node, over stored events only. The deadline is wall time stored with the saga, so
 * the node that resumes it after a crash honours what was left of it, and an event stored before the deadline
 * wins over a timeout noticed late.
 */
import { isFinalSagaStatus, type SagaEvent, type SagaState } from '@lucent/actors/internal';
import { ActorStoppedError, type Clock, ConfigError, TimeoutError } from '@lucent/core/internal';
import type { SagaWakeups } from './saga-wakeups.js';

/** Longest sleep between two reads of the saga's state (a lost wake-up costs at most this). */
export const SAGA_WAIT_POLL_MS = 1_000;

/** What one wait needs: the saga's actor, its wake-ups, and which types it subscribes to. */
export interface SagaWaitServices {
  readonly clock: Clock;
  /** Asks the saga's actor (durable: resolves with the stored state). */
  ask(event: SagaEvent): Promise<SagaState>;
  readonly wakeups: SagaWakeups;
  /** The saga's actor key: its wake-up key. */
  readonly sagaKey: string;
  readonly saga: string;
  readonly subscribedTypes: readonly string[];
}

/**
 * See the module doc. `key` names the wait within the saga (`<step>#<n>`). Rejects with `TimeoutError`, the
 * signal's reason, what `match` throws, a store's error, or `ConfigError` when the saga does not subscribe to
 * `type`, `ActorStoppedError` when the saga ended meanwhile.
 */
export async function durableWaitFor<E>(
  services: SagaWaitServices,
  key: string,
  type: string,
  match: (data: E) => boolean,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<E> {
  const { clock, wakeups } = services;
  if (!services.subscribedTypes.includes(type)) {
    throw new ConfigError({
      subject: `saga:${services.saga}`,
      field: 'subscribe',
      reason: `waitFor('${type}') needs subscribe.${type} ({ idFrom }) on the saga`,
    });
  }
  if (!(timeoutMs > 0))
    throw new ConfigError({ subject: `saga:${services.saga}`, field: 'waitFor', reason: 'timeoutMs must be > 0' });
  let state = await services.ask({ type: 'saga.wait', key, wait: { type, deadline: clock.wallNow() + timeoutMs } });
  const deadline = state.waits[key]?.deadline ?? clock.wallNow() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    // A saga that ended (another driver finished it) takes no claims: this wait has nothing to wait for.
    if (isFinalSagaStatus(state.status)) throw new ActorStoppedError({ actor: services.sagaKey });
    const claimed = state.claims[key];
    if (claimed !== undefined) return claimed.data as E;
    const candidate = state.inbox.find((event) => event.type === type && match(event.data as E));
    if (candidate !== undefined) {
      state = await services.ask({ type: 'saga.claim', key, eventId: candidate.eventId });
      continue;
    }
    const remaining = deadline - clock.wallNow();
    if (remaining <= 0) throw new TimeoutError({ target: `waitFor ${type}`, timeoutMs });
    await wakeups.sleep(services.sagaKey, Math.min(remaining, SAGA_WAIT_POLL_MS), signal);
    if (signal.aborted) throw signal.reason;
    state = await services.ask({ type: 'saga.status' });
  }
}
