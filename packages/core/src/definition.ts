/**
 * `defineFunction` is the primary way to declare a Lucent function: metadata (name, version, handled events,
 * shard key, resources, retry) plus a handler, validated once and frozen. The input and output types of the
 * handler ride on the returned {@link FunctionDefinition}, so a client that imports the definition gets typed
 * calls (`InputOf<typeof price>`, `OutputOf<typeof price>`).
 *
 * Functions are pure: a handler must be deterministic (same input, same output) and do no I/O and keep no state
 * between calls. The runtime relies on it: it batches calls, re-runs the batch-mates of a timed-out call on a
 * fresh worker, and retries transient failures.
 *
 * Names and event types become NATS subject tokens (`lucent.<cluster>.fn.<name>`,
 * `lucent.<cluster>.events.<type>`), so they are 1–128 characters of letters, digits, `_` and `-`, starting with
 * a letter or `_`: no dots (a dot splits a token), spaces, wildcards (`*`, `>`) or `@` (it separates the version).
 */

import { ConfigError } from './errors.js';
import type { EventDefinition, FunctionLogger, ShardInfo } from './function-context.js';
import { type InputSchema, resolveInputSchema, type SchemaOutput } from './input-schema.js';
import { eventTypeName, eventTypeProblem } from './placement/event-type-name.js';
import { type ResourceSpec, type Resources, resolveResources } from './resources.js';
import { hash } from './routing/hash.js';
import { RoutingKind } from './routing/routing-kind.js';
import type { AnyRoutingStrategy } from './routing/strategy.js';
import { type EventFilter, type EventFilterSpec, resolveEventFilter } from './schedule/event-filter.js';
import { resolveSchedule, type Schedule, type ScheduleSpec } from './schedule/schedule-spec.js';

/**
 * Brand key of a definition. `Symbol.for` makes it the same symbol in every module instance and every worker
 * thread that imports the module, so {@link isFunctionDefinition} recognises definitions wherever they come from.
 */
export const FUNCTION_BRAND: unique symbol = Symbol.for('lucent.function');

/** Version a definition gets when it declares none. */
export const DEFAULT_VERSION = '1';

/** What a handler knows about the call it serves. */
export interface FunctionContext {
  /** The function's name. */
  readonly name: string;
  /**
   * 1 for the first attempt, then 2, 3, ... on each re-run: the client's retries (carried on the wire) and the
   * node's pool re-running the call after a worker crash count alike.
   */
  readonly attempt: number;
  /** Epoch ms after which the result is no longer wanted; `0` means no deadline. */
  readonly deadline: number;
  /**
   * Set when the run handles a durable event: its id (the same on every redelivery) and the delivery attempt
   * (1 for the first delivery). Delivery is at least once, so an idempotent handler can tell a repeat by `id`.
   */
  readonly event?: EventDelivery | undefined;
  /** The conversation's id: the caller's (`call(…, { correlationId })`), or the id of the request that started it. */
  readonly correlationId: string;
  /** Id of the message that caused this run (the event it handles, or the call's caller-given cause); `''` when none. */
  readonly causationId: string;
  /** W3C `traceparent` of the request, `''` when it carried none. */
  readonly traceparent: string;
  /** The shard running the call (its `--shard` id and `--tags`). */
  readonly shard: ShardInfo;
  /** Caller-supplied key/values (`call(…, { metadata })`); empty when none. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * A logger whose records are written by the node's log with the call's correlation id. Levels below the node's
   * log level are no-ops in the function's thread.
   */
  readonly logger: FunctionLogger;
  /**
   * Publishes event `type` with `data` once this call has succeeded (discarded if it fails); it carries the call's
   * correlation id, and the call's id as causation id.
   */
  emit<T>(type: EventDefinition<T>, data: T): void;
  emit(type: string, data?: unknown): void;
}

/** Which event a handler run serves (see {@link FunctionContext.event}). */
export interface EventDelivery {
  /** The event's id (`Envelope.id`), stable across redeliveries. */
  readonly id: string;
  /** 1 for the first delivery, 2 for the first redelivery, and so on. */
  readonly attempt: number;
}

/** A function's code: deterministic, no I/O (see the module doc). May return a value or a promise of it. */
export type FunctionHandler<I, O> = (ctx: FunctionContext, input: I) => O | Promise<O>;

/** Metadata of a function as written by its author; only `name` is required. */
export interface FunctionOptions {
  /** Unique (per version) in a registry; a subject token (see the module doc). */
  readonly name: string;
  /** Defaults to {@link DEFAULT_VERSION}. Letters, digits, `.`, `_`, `-`; up to 64 characters. */
  readonly version?: string;
  /**
   * Event types this function handles (subject tokens, or dotted types such as a CloudEvent's
   * `com.example.order.created`, kept as their event type name `com__example__order__created`); duplicates are
   * dropped.
   */
  readonly handles?: string | readonly string[];
  /**
   * Dotted path of the input field whose value picks the shard (`'order.customerId'`); unkeyed when absent.
   * Short for `routing: hash(shardBy)`.
   */
  readonly shardBy?: string;
  /**
   * How calls are placed: a strategy (`hash`, `sticky`, `pin`, `range`, `roundRobin`, `leastLoaded` from
   * `@lucent/core`), or `'queue'` (the default without `shardBy`): any node of the function's NATS queue group.
   */
  readonly routing?: AnyRoutingStrategy | 'queue';
  /**
   * A/B traffic weight of this version among the enabled versions of its name (default 1; 0 sends it none when
   * another version has weight). When several versions are enabled, a call by bare name picks one by weight,
   * priority and affinity (`chooseFunction`); with one enabled version, that one.
   */
  readonly weight?: number;
  /** Load this version disabled (default true: enabled). A disabled version never runs. */
  readonly enabled?: boolean;
  /** Node tags this version prefers: on a node carrying one, it scores higher when versions are chosen. */
  readonly affinity?: string | readonly string[];
  readonly resources?: ResourceSpec;
  readonly retry?: RetrySpec;
  /**
   * Result events of plain calls: `completed: true` publishes `${name}Completed` with the result after each
   * successful call, `failed: true` publishes `${name}Failed` with the typed error after each failed one.
   * Event-triggered runs publish both whatever this says.
   */
  readonly events?: ResultEventsSpec;
  /**
   * A Standard Schema (zod, valibot, arktype, ...) the input must pass: checked by the client before sending
   * and by the node before running the handler, which gets the schema's output. Bad input is rejected with
   * `InvalidInputError` listing the issues.
   */
  readonly input?: InputSchema;
  /**
   * Run on a cron schedule: exactly one node of the cluster runs each tick (see the README's "Schedules").
   * Validated here: a bad pattern or zone is a `ConfigError` (`schedule.cron`, `schedule.timezone`).
   */
  readonly schedule?: ScheduleSpec;
  /**
   * Only run for events that pass: `(data, type) => boolean`, or one predicate per handled type. Pure and sync;
   * evaluated on the node that took the event, before the function runs. Needs `handles`.
   */
  readonly when?: EventFilterSpec;
}

/**
 * A validated, frozen function definition. `I` and `O` are the handler's input and (unwrapped) output types.
 * `handler` is declared as a method so a typed definition is assignable to `FunctionDefinition` (unknown types),
 * which is what registries hold.
 */
export interface FunctionDefinition<I = unknown, O = unknown> {
  readonly [FUNCTION_BRAND]: true;
  readonly name: string;
  readonly version: string;
  /** `name@version`: the registry key. */
  readonly id: string;
  readonly handles: readonly string[];
  /**
   * The key path of a key-owning strategy (`hash`, `sticky`) as written, or `undefined` for functions whose
   * calls have no owner.
   */
  readonly shardBy: string | undefined;
  /** The routing strategy, or `undefined` for the queue group (see {@link FunctionOptions.routing}). */
  readonly routing: AnyRoutingStrategy | undefined;
  /**
   * A/B weight among enabled versions (>= 0), or `undefined` when not declared: versions are chosen by weight only
   * when at least one enabled version of the name declares one (an undeclared weight then counts as 1).
   */
  readonly weight: number | undefined;
  /** False when the version is loaded disabled. */
  readonly enabled: boolean;
  /** Node tags this version prefers. */
  readonly affinity: readonly string[];
  readonly resources: Resources;
  readonly retry: RetryPolicy;
  /** Which result events plain calls publish (see {@link FunctionOptions.events}). */
  readonly events: ResultEvents;
  /** The input schema, or `undefined` when the input is not validated. */
  readonly input: InputSchema | undefined;
  /** The resolved cron schedule, or `undefined`. */
  readonly schedule: Schedule | undefined;
  /** The resolved event filter, or `undefined` when every handled event runs. */
  readonly when: EventFilter | undefined;
  handler(ctx: FunctionContext, input: I): O | Promise<O>;
}

/** The input type of a definition. */
export type InputOf<D> = D extends FunctionDefinition<infer I, unknown> ? I : never;
/** The output type of a definition, already unwrapped from `Promise`. */
export type OutputOf<D> = D extends FunctionDefinition<never, infer O> ? O : never;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PATH_SEGMENT_PATTERN = /^[A-Za-z0-9_$-]+$/;
// Path segments that would read an object's machinery instead of its data.
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'name',
  'version',
  'handles',
  'shardBy',
  'resources',
  'retry',
  'events',
  'input',
  'schedule',
  'when',
  'routing',
  'weight',
  'enabled',
  'affinity',
]);

/** True when `value` is a valid function name or event type (a NATS subject token; see the module doc). */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/**
 * Validates metadata and a handler into a frozen {@link FunctionDefinition}. Throws {@link ConfigError} with
 * `subject` = `fn:<name>` and `field` naming the bad option (`name`, `version`, `handles`, `shardBy`,
 * `resources.cpu`, `retry.maxAttempts`, `handler`, or an unknown option key). Pure: no registration happens here.
 *
 * With an `input` schema, the handler's input type is the schema's output type (`field: 'input'` when it is
 * not a Standard Schema).
 *
 * @example
 * const price = defineFunction({ name: 'price' }, (ctx, input: { qty: number }) => input.qty * 2);
 * // price: FunctionDefinition<{ qty: number }, number>
 * const quote = defineFunction({ name: 'quote', input: v.object({ qty: v.number() }) }, (ctx, { qty }) => qty * 2);
 * // quote: FunctionDefinition<{ qty: number }, number>
 */
export function defineFunction<S extends InputSchema, R = unknown>(
  options: FunctionOptions & { readonly input: S },
  handler: (ctx: FunctionContext, input: SchemaOutput<S>) => R,
): FunctionDefinition<SchemaOutput<S>, Awaited<R>>;
export function defineFunction<I = unknown, R = unknown>(
  options: FunctionOptions,
  handler: (ctx: FunctionContext, input: I) => R,
): FunctionDefinition<I, Awaited<R>>;
export function defineFunction<I = unknown, R = unknown>(
  options: FunctionOptions,
  handler: (ctx: FunctionContext, input: I) => R,
): FunctionDefinition<I, Awaited<R>> {
  const rawName: unknown = (options as { name?: unknown } | undefined)?.name;
  const subject = `fn:${typeof rawName === 'string' && rawName !== '' ? rawName : '?'}`;
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError({ subject, field: 'options', reason: 'must be an object' });
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new ConfigError({ subject, field: key, reason: 'unknown option' });
  }
  if (!isValidName(rawName)) {
    throw new ConfigError({
      subject,
      field: 'name',
      reason: 'expected 1-128 of [A-Za-z0-9_-] starting with a letter or _',
    });
  }
  const version = options.version ?? DEFAULT_VERSION;
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    throw new ConfigError({ subject, field: 'version', reason: 'expected 1-64 of [A-Za-z0-9._-]' });
  }
  if (typeof handler !== 'function') {
    throw new ConfigError({ subject, field: 'handler', reason: 'must be a function' });
  }
  const routing = resolveRouting(options, subject);
  const shardBy = routing !== undefined && ownsKeys(routing) ? routing.field!.field : undefined;
  const handles = resolveHandles(options.handles, subject);
  const definition: FunctionDefinition<I, Awaited<R>> = {
    [FUNCTION_BRAND]: true,
    name: rawName,
    version,
    id: `${rawName}@${version}`,
    handles,
    shardBy,
    routing,
    weight: resolveWeight(options.weight, subject),
    enabled: resolveEnabled(options.enabled, subject),
    affinity: resolveAffinity(options.affinity, subject),
    resources: resolveResources(options.resources, subject),
    retry: resolveRetry(options.retry, subject),
    events: resolveResultEvents(options.events, subject),
    input: resolveInputSchema(options.input, subject),
    schedule: resolveSchedule(options.schedule, subject),
    when: resolveEventFilter(options.when, handles, subject),
    handler: handler as FunctionHandler<I, Awaited<R>>,
  };
  return Object.freeze(definition);
}

/** True when `value` is a definition made by {@link defineFunction} (in this or any module instance or thread). */
export function isFunctionDefinition(value: unknown): value is FunctionDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FUNCTION_BRAND] === true;
}

function resolveHandles(handles: string | readonly string[] | undefined, subject: string): readonly string[] {
  if (handles === undefined) return EMPTY;
  const list: readonly unknown[] = typeof handles === 'string' ? [handles] : handles;
  if (!Array.isArray(list)) {
    throw new ConfigError({ subject, field: 'handles', reason: 'expected an event type or an array of them' });
  }
  const names: string[] = [];
  for (const type of list) {
    // A dotted type (a CloudEvent's `com.example.created`) is handled under its event type name.
    const problem = typeof type === 'string' ? eventTypeProblem(type) : 'not a string';
    if (problem !== undefined) {
      throw new ConfigError({ subject, field: 'handles', reason: `'${String(type)}' is not a valid event type` });
    }
    names.push(eventTypeName(type as string));
  }
  return Object.freeze([...new Set(names)]);
}

/** Throws `ConfigError` unless `shardBy` is a dotted path of plain property names (no `__proto__` and the like). */
function checkShardPath(shardBy: string, subject: string): void {
  const segments = typeof shardBy === 'string' ? shardBy.split('.') : [];
  const valid =
    segments.length > 0 && segments.every((s) => PATH_SEGMENT_PATTERN.test(s) && !FORBIDDEN_SEGMENTS.has(s));
  if (!valid) {
    throw new ConfigError({ subject, field: 'shardBy', reason: "expected a dotted field path such as 'order.id'" });
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

/** True for strategies whose key has one owner (`hash`, `sticky`): that owner serves it, or refuses when busy. */
export function ownsKeys(strategy: AnyRoutingStrategy): boolean {
  return strategy.kind === RoutingKind.Hash || strategy.kind === RoutingKind.Sticky;
}

function resolveRouting(options: FunctionOptions, subject: string): AnyRoutingStrategy | undefined {
  const { routing, shardBy } = options;
  const fail = (reason: string) => new ConfigError({ subject, field: 'routing', reason });
  if (routing === undefined || routing === 'queue') {
    if (shardBy === undefined) return undefined;
    if (routing === 'queue') throw fail("'queue' routing has no shard key: drop shardBy");
    checkShardPath(shardBy, subject);
    return hash(shardBy);
  }
  if (typeof routing !== 'object' || routing === null || typeof routing.route !== 'function') {
    throw fail("expected a strategy (hash, sticky, pin, range, roundRobin, leastLoaded) or 'queue'");
  }
  if (shardBy !== undefined && !(routing.kind === RoutingKind.Hash && routing.field?.field === shardBy)) {
    throw fail(`shardBy '${shardBy}' and ${routing.name} disagree: declare one`);
  }
  // Strategy fields obey the shardBy rules (no `__proto__` or other machinery in the path).
  if (routing.field !== undefined) checkShardPath(routing.field.field, subject);
  return routing;
}

function resolveWeight(weight: number | undefined, subject: string): number | undefined {
  if (weight === undefined) return undefined;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new ConfigError({ subject, field: 'weight', reason: 'expected a finite number >= 0' });
  }
  return weight;
}

function resolveEnabled(enabled: boolean | undefined, subject: string): boolean {
  if (enabled === undefined) return true;
  if (typeof enabled !== 'boolean') throw new ConfigError({ subject, field: 'enabled', reason: 'expected a boolean' });
  return enabled;
}

function resolveAffinity(affinity: string | readonly string[] | undefined, subject: string): readonly string[] {
  if (affinity === undefined) return EMPTY;
  const list: readonly unknown[] = typeof affinity === 'string' ? [affinity] : affinity;
  if (!Array.isArray(list) || list.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new ConfigError({ subject, field: 'affinity', reason: 'expected a tag or an array of non-empty tags' });
  }
  return Object.freeze([...list] as string[]);
}

/** Retry settings as written in a definition; every field is optional (defaults in {@link DEFAULT_RETRY}). */
export interface RetrySpec {
  /** Attempts in all, the first included: `1` means never retry. Integer 1-100. */
  readonly maxAttempts?: number;
  /** Delay before the first retry, in ms (>= 0). */
  readonly backoffMs?: number;
  /** Each further retry waits this many times longer (>= 1). */
  readonly multiplier?: number;
  /** Cap on any one delay, in ms (>= backoffMs). */
  readonly maxBackoffMs?: number;
  /**
   * Error codes a client retries a call on (on another shard when the failure was the node's). Default
   * {@link DEFAULT_RETRY_ON}. A handler's own error is retried only when it is marked retryable
   * (`RetryableError`, or any error with `retryable: true`), whatever this lists.
   */
  readonly retryOn?: readonly string[];
}

/**
 * Resolved retry policy. It applies to failures the runtime classes as transient (a crashed worker, an
 * unreachable node, a re-run batch); which failures those are is the caller's decision, not the definition's.
 */
export type RetryPolicy = Required<RetrySpec>;

/**
 * Codes retried by default: a timeout, a crashed worker, a node gone, overloaded (refusing, or no capacity) or
 * shutting down, and a handler error marked retryable.
 */
export const DEFAULT_RETRY_ON: readonly string[] = Object.freeze([
  'LUCENT_TIMEOUT',
  'LUCENT_WORKER_CRASHED',
  'LUCENT_NODE_UNAVAILABLE',
  'LUCENT_OVERLOADED',
  'LUCENT_NO_CAPACITY',
  'LUCENT_SHUTTING_DOWN',
  'LUCENT_RETRYABLE',
]);

/** Defaults for fields a {@link RetrySpec} leaves out. Frozen. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoffMs: 100,
  multiplier: 2,
  maxBackoffMs: 10_000,
  retryOn: DEFAULT_RETRY_ON,
});

/**
 * The policy of a call by *name* (`client.call('quote', input)`): the client has no definition to read one from,
 * so it retries only what is always safe for any function, because the node never ran it or can no longer answer:
 * a node gone, overloaded or shutting down (and a handler error the function marked retryable). Not timeouts
 * and not worker crashes: those may be the function's own cost, which only its definition can weigh (the node's
 * pool still re-runs crashed calls per the definition it holds). 3 attempts, 100 ms doubling.
 */
export const NAME_CALL_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoffMs: 100,
  multiplier: 2,
  maxBackoffMs: 10_000,
  retryOn: Object.freeze([
    'LUCENT_NODE_UNAVAILABLE',
    'LUCENT_OVERLOADED',
    'LUCENT_NO_CAPACITY',
    'LUCENT_SHUTTING_DOWN',
  ]),
});

/** Result events as written in a definition. */
export interface ResultEventsSpec {
  readonly completed?: boolean;
  readonly failed?: boolean;
}

/** Resolved {@link ResultEventsSpec}. */
export type ResultEvents = Required<ResultEventsSpec>;

const NO_RESULT_EVENTS: ResultEvents = Object.freeze({ completed: false, failed: false });

function resolveResultEvents(spec: ResultEventsSpec | undefined, subject: string): ResultEvents {
  if (spec === undefined) return NO_RESULT_EVENTS;
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError({ subject, field: 'events', reason: 'must be an object' });
  }
  for (const [key, value] of Object.entries(spec)) {
    if (key !== 'completed' && key !== 'failed')
      throw new ConfigError({ subject, field: `events.${key}`, reason: 'unknown field' });
    if (value !== undefined && typeof value !== 'boolean') {
      throw new ConfigError({ subject, field: `events.${key}`, reason: 'must be a boolean' });
    }
  }
  return Object.freeze({ completed: spec.completed === true, failed: spec.failed === true });
}

/**
 * Delay in ms before attempt number `attempt` (2 = first retry): `backoffMs * multiplier^(attempt-2)`, capped
 * at `maxBackoffMs`; `0` for the first attempt. Pure and without jitter (add it where the delay is scheduled).
 */
export function retryDelayMs(
  policy: Pick<RetryPolicy, 'backoffMs' | 'multiplier' | 'maxBackoffMs'>,
  attempt: number,
): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.maxBackoffMs, policy.backoffMs * policy.multiplier ** (attempt - 2));
}

const RETRY_RULES: Readonly<Record<Exclude<keyof RetrySpec, 'retryOn'>, (value: number) => boolean>> = {
  maxAttempts: (v) => Number.isInteger(v) && v >= 1 && v <= 100,
  backoffMs: (v) => Number.isFinite(v) && v >= 0,
  multiplier: (v) => Number.isFinite(v) && v >= 1,
  maxBackoffMs: (v) => Number.isFinite(v) && v >= 0,
};

function resolveRetry(spec: RetrySpec | undefined, subject: string): RetryPolicy {
  if (spec === undefined) return DEFAULT_RETRY;
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError({ subject, field: 'retry', reason: 'must be an object' });
  }
  const policy: Record<string, unknown> = { ...DEFAULT_RETRY };
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'retryOn') {
      if (value === undefined) continue;
      if (!Array.isArray(value) || !value.every((code) => typeof code === 'string')) {
        throw new ConfigError({ subject, field: 'retry.retryOn', reason: 'expected an array of error codes' });
      }
      policy.retryOn = Object.freeze([...(value as string[])]);
      continue;
    }
    const rule = RETRY_RULES[key as Exclude<keyof RetrySpec, 'retryOn'>];
    if (rule === undefined) throw new ConfigError({ subject, field: `retry.${key}`, reason: 'unknown field' });
    if (value === undefined) continue;
    if (typeof value !== 'number' || !rule(value)) {
      throw new ConfigError({ subject, field: `retry.${key}`, reason: 'out of range (see RetrySpec)' });
    }
    policy[key] = value;
  }
  if ((policy.maxBackoffMs as number) < (policy.backoffMs as number)) {
    throw new ConfigError({ subject, field: 'retry.maxBackoffMs', reason: 'must be >= backoffMs' });
  }
  return Object.freeze(policy as unknown as RetryPolicy);
}
