/**
 * The typed client of a Lucent cluster: calls functions, talks to function actors and emits events. Types flow
 * from the definitions a caller imports:
 *
 * ```ts
 * const client = await connect({ servers: 'nats://127.0.0.1:4222', viewSource });
 * const total = await client.call(price, { symbol: 'ACME', qty: 3 });   // typed by `price`
 * const counter = client.actor(counterActor, 'c-1');
 * counter.tell({ type: 'inc' });
 * const { count } = await counter.ask({ type: 'inc' });
 * await client.emit('OrderPlaced', order);                            // resolves once stored
 * await client.close();
 * ```
 * Inside a node, pass the node's transport (and its view) instead of `servers`: `createClient({ transport })`.
 */
import type { ActorEventOf, ActorReplyOf, AnyActorDefinition, SagaDefinition } from '@lucent/actors/internal';
import {
  ConfigError,
  completedEventType,
  type EventDefinition,
  type FunctionDefinition,
  type InputOf,
  isEventDefinition,
  isFunctionDefinition,
  type OutputOf,
} from '@lucent/core/internal';
import { EventsAdmin } from '../events/events-admin.js';
import type { NatsAuth } from '../transport/nats-auth.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { Transport } from '../transport/transport.js';
import { ActorHandle } from './actor-handle.js';
import { ClientCore, type ClientCoreOptions, type EmitOptions, type RequestOptions } from './client-core.js';
import { type DelayedTellOptions, delayedTell } from './delayed-tell.js';
import type { EventHandler, EventStream, EventStreamOptions, EventSubscription } from './event-subscription.js';
import { SagaClient } from './saga-client.js';
import { sagaClientParts } from './saga-client-parts.js';
import type {
  GatherOptions,
  GatherResult,
  ScatterOptions,
  ScatterResult,
  ShardError,
  ShardResult,
} from './scatter-gather.js';

/** Options of {@link createClient}: an existing transport (which the client does not close). */
export type ClientOptions = ClientCoreOptions;

/** Options of {@link connect}. */
export interface ConnectOptions extends Omit<ClientCoreOptions, 'transport'> {
  /** NATS server URL(s); default `nats://127.0.0.1:4222`. Ignored when `transport` is given. */
  readonly servers?: string | readonly string[];
  /** Use this transport instead of connecting (the client then does not close it). */
  readonly transport?: Transport;
  /** Connection name shown by the server. */
  readonly name?: string;
  /**
   * Credentials and TLS for a secured NATS server. `natsAuthFromEnv(process.env)` reads the same
   * `LUCENT_NATS_*` variables as the node and the CLI.
   */
  readonly auth?: NatsAuth;
}

/** Default server of {@link connect}. */
export const DEFAULT_SERVERS = 'nats://127.0.0.1:4222';

/** A client. Create with {@link connect} or {@link createClient}; safe to share; `close()` when done. */
export class LucentClient {
  readonly #core: ClientCore;
  readonly #ownsTransport: boolean;
  readonly #resolve: ((ref: string) => string) | undefined;
  #events: EventsAdmin | undefined = undefined;
  #sagaParts: ReturnType<typeof sagaClientParts> | undefined = undefined;

  /** Not for direct use: see {@link connect} and {@link createClient}. */
  constructor(core: ClientCore, ownsTransport: boolean, resolveFunction?: (ref: string) => string) {
    this.#core = core;
    this.#ownsTransport = ownsTransport;
    this.#resolve = resolveFunction;
  }

  /** The transport requests travel on. */
  get transport(): Transport {
    return this.#core.transport;
  }

  /**
   * Calls a function and resolves with its result. With a definition, a keyed call goes straight to its key's
   * owner (given a view) and the types come from the definition; with a name, it goes to the function's queue
   * group. Calls run the version the serving node has active (`'name@version'` pins one).
   * Rejects with the serving node's error revived into its core class, `origin` = that node's id:
   * `UnknownFunctionError`, `FunctionDisabledError`, `HandlerError`, `TimeoutError`, `HopLimitError`, ...; or,
   * locally, `TimeoutError` (no answer in `timeoutMs`), `RoutingError` (keyed input without its shard key),
   * `EncodeError`, `ShuttingDownError`. Never throws synchronously.
   */
  call<I, O>(definition: FunctionDefinition<I, O>, input: I, options?: RequestOptions): Promise<O>;
  call<O = unknown>(name: string, input: unknown, options?: RequestOptions): Promise<O>;
  call(target: FunctionDefinition | string, input: unknown, options?: RequestOptions): Promise<unknown> {
    if (typeof target === 'string') {
      const ref = this.#resolve === undefined ? target : this.#resolve(target);
      return this.#core.call(ref, undefined, input, options);
    }
    return this.#core.call(target.name, target, input, options);
  }

  /**
   * A handle to function actor `id` of a type, typed by the definition's events and reply (or untyped by
   * name). Does not contact anything. Throws `ConfigError` for an empty id or a type that is not a valid name.
   */
  actor<D extends AnyActorDefinition>(definition: D, id: string): ActorHandle<ActorEventOf<D>, ActorReplyOf<D>>;
  actor<E = unknown, R = unknown>(type: string, id: string): ActorHandle<E, R>;
  actor(target: AnyActorDefinition | string, id: string): ActorHandle {
    const type = typeof target === 'string' ? target : target.type;
    if (typeof type !== 'string' || type === '' || type.includes('/') || typeof id !== 'string' || id === '') {
      throw new ConfigError({
        subject: 'client.actor',
        field: 'type/id',
        reason: 'need a type name and a non-empty id',
      });
    }
    return new ActorHandle(this.#core, type, id);
  }

  /**
   * Delivers `event` to actor `id` of a type at `at` (epoch ms or Date), durably: it is stored now and fired by
   * the cluster when due, surviving restarts and node failures, at least once (the actor receives it with
   * `reminder: { name, scheduledAt }` added). Resolves with the delayed message's name once stored (see
   * `cancelReminder`). Rejects with `InvalidReminderError` (bad time or name), `InvalidMessageError`,
   * `ConfigError` (bad type or id), `ShuttingDownError`, `TimeoutError` / `NodeUnavailableError` (the store).
   */
  tellAt<D extends AnyActorDefinition>(
    target: D | string,
    id: string,
    event: D extends AnyActorDefinition ? ActorEventOf<D> : unknown,
    at: number | Date,
    options?: DelayedTellOptions,
  ): Promise<string> {
    return delayedTell(this.#core, typeOf(target), id, event, { at }, options);
  }

  /** As {@link tellAt}, `delayMs` from now. */
  tellAfter<D extends AnyActorDefinition>(
    target: D | string,
    id: string,
    event: D extends AnyActorDefinition ? ActorEventOf<D> : unknown,
    delayMs: number,
    options?: DelayedTellOptions,
  ): Promise<string> {
    return delayedTell(this.#core, typeOf(target), id, event, { afterMs: delayMs }, options);
  }

  /**
   * Cancels reminder (or delayed message) `name` of actor `id` of a type; idempotent. A reminder already being
   * delivered may still arrive once. Rejects with the store's `TimeoutError` / `NodeUnavailableError`.
   */
  cancelReminder(target: AnyActorDefinition | string, id: string, name: string): Promise<void> {
    return this.#core.reminders.cancel(typeOf(target), id, name);
  }

  /**
   * Publishes event `type` with `data` durably and resolves with the event's id once the cluster's event
   * stream stored it. Every function handling the type then runs at least once in the cluster (its durable
   * consumer delivers it to one node; a failed run is retried per the function's `retry` policy, then
   * dead-lettered) and publishes `${name}Completed` (or `${name}Failed` once dead-lettered). An unreachable
   * stream is retried with the same id until `timeoutMs`, so the event is stored once. Rejects with
   * `TimeoutError` / `NodeUnavailableError` after that, `ConfigError` (invalid type), `EncodeError`,
   * `ShuttingDownError`. Never throws synchronously.
   */
  emit<T>(event: EventDefinition<T>, data: T, options?: EmitOptions): Promise<string>;
  emit<D extends FunctionDefinition<never, unknown>>(
    handler: D,
    data: InputOf<D>,
    options?: EmitOptions,
  ): Promise<string>;
  emit(type: string, data: unknown, options?: EmitOptions): Promise<string>;
  emit(target: string | EventDefinition | FunctionDefinition, data: unknown, options?: EmitOptions): Promise<string> {
    let type: string;
    try {
      type = emittedType(target);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#core.emit(type, data, options);
  }

  /**
   * Starts and follows sagas of `definition` (`defineSaga`): `client.saga(def).start(input)` resolves with a
   * handle to await the outcome (`result()`) or ask where it is (`status()`). Needs NATS (the saga index is a
   * JetStream KV bucket): on another transport `start` rejects with `ConfigError`.
   */
  saga<I>(definition: SagaDefinition<I>): SagaClient<I> {
    this.#sagaParts ??= sagaClientParts(this.#core, (type, id) => this.actor(type, id));
    return new SagaClient(definition, this.#sagaParts);
  }

  /**
   * Subscribes to an event type from now on: `handler` per event (returns `{ close() }`), or, without a handler,
   * an async iterable `EventStream` (`for await (const e of client.on(type))`; `close()` or `break` ends it).
   * Given a function definition it subscribes to its `${name}Completed` events, typed by its output; given
   * `defineEvent<T>(type)` or `failedOf(definition)`, typed by those. Each event carries its correlation and
   * causation ids. Live only: events published before the subscription reached the server are not replayed.
   * Throws `ConfigError` for an invalid type, `ShuttingDownError` after `close()`.
   */
  on<D extends FunctionDefinition<never, unknown>>(
    definition: D,
    handler: EventHandler<OutputOf<D>>,
  ): EventSubscription;
  on<D extends FunctionDefinition<never, unknown>>(
    definition: D,
    options?: EventStreamOptions,
  ): EventStream<OutputOf<D>>;
  on<T>(event: EventDefinition<T>, handler: EventHandler<T>): EventSubscription;
  on<T>(event: EventDefinition<T>, options?: EventStreamOptions): EventStream<T>;
  on<T = unknown>(type: string, handler: EventHandler<T>): EventSubscription;
  on<T = unknown>(type: string, options?: EventStreamOptions): EventStream<T>;
  on(
    target: string | EventDefinition | FunctionDefinition,
    handlerOrOptions?: EventHandler<unknown> | EventStreamOptions,
  ): EventSubscription | EventStream<unknown> {
    const type =
      typeof target === 'string'
        ? target
        : isFunctionDefinition(target)
          ? completedEventType(target.name)
          : target.type;
    if (typeof handlerOrOptions === 'function') return this.#core.subscribe(type, handlerOrOptions);
    return this.#core.subscribe(type, undefined, handlerOrOptions);
  }

  /**
   * Runs `definition` on `input` once on every shard of the cluster view (`shards: 'all'`, the default) or on
   * every shard started with a tag (`shards: 'gpu'`), each on that shard whatever the function's routing. Resolves
   * with `{ results, errors }` (results by shard id), or what `aggregate(results, errors)` returns. With
   * `partial: 'fail'` (the default) any shard's failure rejects with `PartialFailureError` listing them all;
   * `'collect'` resolves with the errors beside the results. Rejects with `RoutingError` without a view (use
   * `connectCluster`) or when no shard carries the tag. Not retried. Never throws synchronously.
   */
  scatter<I, O>(
    definition: FunctionDefinition<I, O>,
    input: I,
    options?: ScatterOptions<O, never> & { readonly aggregate?: undefined },
  ): Promise<ScatterResult<O>>;
  scatter<I, O, R>(
    definition: FunctionDefinition<I, O>,
    input: I,
    options: ScatterOptions<O, R> & {
      readonly aggregate: (results: readonly ShardResult<O>[], errors: readonly ShardError[]) => R;
    },
  ): Promise<R>;
  scatter<O, R>(
    definition: FunctionDefinition<never, O>,
    input: unknown,
    options: ScatterOptions<O, R> = {},
  ): Promise<unknown> {
    return this.#core.scatter(definition as FunctionDefinition, input, options);
  }

  /**
   * Runs `definition` on every input with one request per shard: inputs are grouped by the shard their routing
   * key places them on (unkeyed functions: spread evenly), each group goes as one batch that the shard runs
   * through its pool, and the values come back in input order. `partial: 'fail'` (the default) rejects with
   * `PartialFailureError` (every failed index and its error) when any input failed; `'collect'` resolves with
   * `{ values, errors }`. Rejects with `RoutingError` without a view or for an input without its shard key.
   * Input schemas are checked by the nodes, not before sending. Not retried. Never throws synchronously.
   */
  gather<I, O>(
    definition: FunctionDefinition<I, O>,
    inputs: readonly I[],
    options?: GatherOptions & { readonly partial?: 'fail' },
  ): Promise<O[]>;
  gather<I, O>(
    definition: FunctionDefinition<I, O>,
    inputs: readonly I[],
    options: GatherOptions & { readonly partial: 'collect' },
  ): Promise<GatherResult<O>>;
  gather(definition: FunctionDefinition, inputs: readonly unknown[], options: GatherOptions = {}): Promise<unknown> {
    return this.#core.gather(definition, inputs, options);
  }

  /**
   * Retries this client made of calls to function `fn` (by `reason` when given: `node_unavailable`, `timeout`,
   * `worker_crashed`, `overloaded`, `shutting_down`, `retryable`); also exported as `lucent_retries_total`
   * when the client was given a `metricsRegistry`.
   */
  retries(fn: string | FunctionDefinition, reason?: string): number {
    return this.#core.retries(typeof fn === 'string' ? fn : fn.name, reason);
  }

  /** Durable events: dead letters (`list`, `replay`, `purge`) and durable consumers (`consumers`, `removeConsumer`). */
  get events(): EventsAdmin {
    this.#events ??= new EventsAdmin(() => this.#core.eventLog(), this.#core.codec, this.#core.cluster);
    return this.#events;
  }

  /**
   * Stops the client: later calls reject with `ShuttingDownError`. Closes the transport if {@link connect}
   * opened it (pending requests then reject with `ShuttingDownError`); a transport that was passed in stays
   * open and its pending requests still settle. Idempotent; never rejects.
   */
  async close(): Promise<void> {
    this.#core.markClosed();
    if (this.#ownsTransport) await this.#core.transport.close();
  }
}

/**
 * The event type an emit targets: a type name, a `defineEvent` definition, or the definition of a function that
 * handles exactly one event type. Throws `ConfigError` for a function that handles none or several.
 */
function emittedType(target: string | EventDefinition | FunctionDefinition): string {
  if (typeof target === 'string') return target;
  if (isEventDefinition(target)) return target.type;
  if (target.handles.length === 1) return target.handles[0]!;
  throw new ConfigError({
    subject: `fn:${target.name}`,
    field: 'handles',
    reason: `emit by definition needs a function that handles exactly one event type (it handles ${target.handles.length}); pass the type name`,
  });
}

/** A client over an existing transport (e.g. the node's own); `close()` leaves the transport open. */
export function createClient(options: ClientOptions): LucentClient {
  return new LucentClient(new ClientCore(options), false, options.resolveFunction);
}

/**
 * Connects to the cluster: over `transport` when given, else a new NATS connection to `servers`. Rejects with
 * `NodeUnavailableError` when no server accepts the connection, `ConfigError` for an invalid cluster name.
 */
export async function connect(options: ConnectOptions = {}): Promise<LucentClient> {
  if (options.transport !== undefined) return createClient({ ...options, transport: options.transport });
  const transport = await NatsTransport.connect({
    servers: options.servers ?? DEFAULT_SERVERS,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  try {
    return new LucentClient(new ClientCore({ ...options, transport }), true);
  } catch (error) {
    await transport.close();
    throw error;
  }
}

function typeOf(target: AnyActorDefinition | string): string {
  return typeof target === 'string' ? target : target.type;
}
