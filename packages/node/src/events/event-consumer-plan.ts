/**
 * Pure decisions of the durable event path: the names of the cluster's streams and consumers, the consumer
 * settings a function's retry policy maps to, and what to do with a failed delivery.
 *
 * ```
 *  stream   LUCENT_<C>_EVENTS   subjects lucent.<C>.events.>   (file storage, dedup window)
 *  stream   LUCENT_<C>_DLQ      subjects lucent.<C>.dlq.>      (dead letters, one subject per consumer)
 *  consumer <fn>--<type>        durable, pull, filter lucent.<C>.events.<type>, explicit ack,
 *                               max_deliver = retry.maxAttempts + CRASH_REDELIVERIES,
 *                               redelivery delay after a failed run n = retryDelayMs(retry, n + 1)
 * ```
 * Attempts are deliveries (`ctx.event.attempt`): a failed run on delivery `retry.maxAttempts` or later is
 * dead-lettered. Deliveries lost to a dead node also count, and a killed client's open pull request can swallow
 * one more; `max_deliver` keeps {@link CRASH_REDELIVERIES} spare so such losses do not strand an event that has
 * not failed. What runs out of them anyway is dead-lettered from the server's MAX_DELIVERIES advisory.
 * nats-server 2.9 gives a consumer one filter subject, so a function handling two event types has two
 * consumers. The consumer's `backoff` list is not used: with it the server also shortens the ack wait of the
 * first delivery to `backoff[0]`, which would redeliver a slow but healthy handler. A failed run is
 * negatively acknowledged with the policy's delay instead (`nak(delayMs)`), and `ackWaitMs` stays the
 * crash-detection window (a running handler is kept alive with `working()`).
 */
import {
  ConfigError,
  deadLetterSubject,
  eventSubject,
  type FunctionDefinition,
  type FunctionRegistry,
  type RetryPolicy,
  retryDelayMs,
} from '@lucent/core/internal';

/** Deliveries a consumer allows beyond the retry policy's attempts, for deliveries lost to dead nodes. */
export const CRASH_REDELIVERIES = 2;

/**
 * Default {@link EventConsumerOptions.ackWaitMs}: a delivery unanswered this long goes to another node. Short, so
 * a killed node's events run elsewhere within seconds (as its actors do); a handler that runs longer is kept alive
 * with `working()` every third of it.
 */
export const DEFAULT_EVENT_ACK_WAIT_MS = 5_000;
/** Default {@link EventConsumerOptions.maxAckPending}: unacknowledged deliveries per consumer, cluster-wide. */
export const DEFAULT_EVENT_MAX_ACK_PENDING = 256;
/** Default duplicate window of the event stream (ms): a retried emit with the same id within it is stored once. */
export const DEFAULT_EVENT_DUPLICATE_WINDOW_MS = 120_000;

/** The event stream of a cluster. */
export function eventStreamName(cluster: string): string {
  return `LUCENT_${cluster}_EVENTS`;
}

/** The dead-letter stream of a cluster. */
export function deadLetterStreamName(cluster: string): string {
  return `LUCENT_${cluster}_DLQ`;
}

/**
 * The durable consumer of function `functionName` for event type `eventType`: `<fn>--<type>`. Both are names
 * `defineFunction` validated (letters, digits, `_`, `-`), so the result is a subject token and a valid durable
 * name. Throws `ConfigError` for anything else.
 */
export function eventConsumerName(functionName: string, eventType: string): string {
  const name = `${functionName}--${eventType}`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new ConfigError({ subject: 'event consumer', field: 'name', reason: `'${name}' is not a subject token` });
  }
  return name;
}

/** Cluster-wide settings of the consumers a node creates. */
export interface EventConsumerOptions {
  readonly cluster: string;
  /** Ack wait: a delivery neither acknowledged nor kept alive this long is redelivered. Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** Unacknowledged deliveries per consumer across the cluster (bounds each node's in-flight handlers). Default 256. */
  readonly maxAckPending?: number;
}

/** One durable consumer a node serves: which function, which type, and its settings. */
export interface EventConsumerPlan {
  readonly name: string;
  readonly functionName: string;
  readonly eventType: string;
  readonly filterSubject: string;
  readonly deadLetterSubject: string;
  /** Failed runs are dead-lettered from this delivery on (`retry.maxAttempts`). */
  readonly maxDeliver: number;
  /** The consumer's `max_deliver`: {@link maxDeliver} + {@link CRASH_REDELIVERIES}. */
  readonly maxDeliveries: number;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  readonly retry: RetryPolicy;
}

/**
 * The consumers for every active function of `functions` that handles events, sorted by name. Pure. Throws
 * `ConfigError` for an invalid cluster name or option.
 */
export function planEventConsumers(functions: FunctionRegistry, options: EventConsumerOptions): EventConsumerPlan[] {
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_EVENT_ACK_WAIT_MS;
  const maxAckPending = options.maxAckPending ?? DEFAULT_EVENT_MAX_ACK_PENDING;
  if (!Number.isInteger(ackWaitMs) || ackWaitMs < 1) {
    throw new ConfigError({ subject: 'event consumer', field: 'ackWaitMs', reason: 'must be a positive integer' });
  }
  if (!Number.isInteger(maxAckPending) || maxAckPending < 1) {
    throw new ConfigError({ subject: 'event consumer', field: 'maxAckPending', reason: 'must be a positive integer' });
  }
  const plans = new Map<string, EventConsumerPlan>();
  for (const listed of functions.list()) {
    // One consumer per (function name, type) that an enabled version handles (versions side by side may handle
    // different types); the run goes to a version that handles the type (`eventHandlerOf`).
    const active = functions.find(listed.name);
    if (active === undefined || active !== listed) continue;
    const types = new Set(enabledVersions(functions, active.name).flatMap((version) => version.handles));
    for (const type of types) {
      const definition = eventHandlerOf(functions, active.name, type)!;
      const name = eventConsumerName(definition.name, type);
      if (plans.has(name)) {
        throw new ConfigError({ subject: 'event consumer', field: 'name', reason: `'${name}' names two handlers` });
      }
      plans.set(name, {
        name,
        functionName: definition.name,
        eventType: type,
        filterSubject: eventSubject(options.cluster, type),
        deadLetterSubject: deadLetterSubject(options.cluster, name),
        maxDeliver: definition.retry.maxAttempts,
        maxDeliveries: definition.retry.maxAttempts + CRASH_REDELIVERIES,
        ackWaitMs,
        maxAckPending,
        retry: definition.retry,
      });
    }
  }
  return [...plans.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The enabled versions of `name`, newest first. */
function enabledVersions(functions: FunctionRegistry, name: string): FunctionDefinition[] {
  const enabled: FunctionDefinition[] = [];
  for (const version of functions.versions(name)) {
    const definition = functions.find(`${name}@${version}`);
    if (definition !== undefined) enabled.unshift(definition);
  }
  return enabled;
}

/**
 * The version of function `name` an event of `type` runs on: the active version when it handles the type, else
 * the newest enabled version that does; `undefined` when none does. Pure.
 */
export function eventHandlerOf(
  functions: FunctionRegistry,
  name: string,
  type: string,
): FunctionDefinition | undefined {
  const active = functions.find(name);
  if (active?.handles.includes(type)) return active;
  return enabledVersions(functions, name).find((version) => version.handles.includes(type));
}

/** What to do with a delivery whose handler failed: closed set, discriminated on `type`. */
export type FailedDeliveryAction =
  | { readonly type: 'retry'; readonly delayMs: number }
  | { readonly type: 'dead-letter' };

const DEAD_LETTER: FailedDeliveryAction = Object.freeze({ type: 'dead-letter' });

/**
 * After delivery `attempt` (1-based) of `plan` failed: redeliver after the policy's delay before attempt
 * `attempt + 1`, or, when that was the last delivery allowed, dead-letter it. Pure.
 */
export function decideFailedDelivery(plan: EventConsumerPlan, attempt: number): FailedDeliveryAction {
  if (attempt >= plan.maxDeliver) return DEAD_LETTER;
  return { type: 'retry', delayMs: retryDelayMs(plan.retry, attempt + 1) };
}
