/**
 * The untyped engine under `LucentClient` and its actor handles: routing (the same placement as the nodes),
 * envelopes, one codec, and turning answers back into values or Lucent errors.
 *
 * ```
 *  call(def, input) ── keyed & view ──► owner's node subject ─┐
 *  call(name, input) ─ view ──────────► a host's node subject ─┤
 *                   └─ otherwise ─────► fn.<name> queue group ─┤── transport.request ──► decode ──► value
 *  tell/ask(type/id) ── view ─────────► owner's node subject ─┘                        └─► errorFromWire → throw
 *  emit(type, data) ──────────────────► events.<type> in the event log (JetStream), resolved once stored
 * ```
 * Calls of pure functions are retried per `call-retrier.ts` (a definition's policy, or `NAME_CALL_RETRY` for a call
 * by name). An ask whose node is gone (`NodeUnavailableError`: no responders on its subject, or the node left the
 * client's view while the ask waited, e.g. after a kill -9) is sent
 * again, with the same envelope id, once the client's view places the actor on a node other than the one that was
 * unavailable, until the ask's own timeout; the actor applies an id at most once (its dedup window), so a retry of
 * an ask that did arrive is not applied twice. An ask an overloaded owner refused (`OverloadedError`: it was never
 * delivered) is sent again, same id, after the refusal's `retryAfterMs`, while the ask's time lasts; with no time
 * left for that wait the refusal is thrown. Tells are not retried.
 *
 * A client whose view is stale still reaches the right node: the receiving node forwards (router). A client
 * without a view sends calls to the function's queue group; it cannot address actors (there is no "any node"
 * subject for them), so tells and asks then fail with `RoutingError`.
 */

import { actorMessageProblem } from '@lucent/actors/internal';
import {
  askEnvelope,
  type Clock,
  ConfigError,
  callEnvelope,
  checkInput,
  DecodeError,
  EnvelopeCodec,
  EnvelopeKind,
  envelopeKindName,
  errorFromWire,
  eventEnvelope,
  type FunctionDefinition,
  functionNameOf,
  InvalidMessageError,
  NodeUnavailableError,
  nodeSubjectOfPlaced,
  OverloadedError,
  PlacementType,
  placeActor,
  placeFunction,
  placeNamedCall,
  RoutingError,
  RoutingKind,
  RoutingStates,
  ShuttingDownError,
  SubjectCache,
  systemClock,
  TimeoutError,
  tellEnvelope,
  UnknownFunctionError,
  type ViewSource,
  type WireError,
} from '@lucent/core/internal';
import type { Registry } from 'prom-client';
import type { EventLog } from '../events/event-log.js';
import { type EventLogOptions, eventLogFor } from '../events/event-log-for.js';
import { encodeEventMessage } from '../events/event-message.js';
import { UnhandledEventTypes, type UnhandledWarnSink } from '../events/unhandled-event-types.js';
import { reminderStoreFor } from '../reminders/reminder-store-for.js';
import { ReminderWriter } from '../reminders/reminder-writer.js';
import { endSpan, endWhenSettled, startClientSpan, traceparentOf } from '../tracing/lucent-spans.js';
import { NO_RESPONDERS_REASON } from '../transport/frame-dispatch.js';
import type { Transport } from '../transport/transport.js';
import { CallRetrier, LEFT_VIEW_REASON, RetryCall, retryTarget } from './call-retrier.js';
import {
  type EventHandler,
  EventStream,
  type EventStreamOptions,
  type EventSubscription,
  subscribeEvents,
} from './event-subscription.js';
import { envelopeContext, hasContext, type MessageContextOptions } from './message-context.js';
import {
  type FanOutContext,
  type GatherOptions,
  type GatherResult,
  gather,
  type ScatterOptions,
  type ScatterResult,
  scatter,
} from './scatter-gather.js';

/** Default {@link ClientCoreOptions.defaultTimeoutMs}. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** How often a failed ask checks whether the view moved its actor to another node. */
export const ASK_RETRY_POLL_MS = 25;

/** Per-request options. */
export interface RequestOptions extends MessageContextOptions {
  /**
   * How long to wait for the answer; it also becomes the envelope's deadline. Default: the client's. Must be
   * positive (`Infinity` waits forever): `0`, a negative number or `NaN` is a `ConfigError`.
   */
  readonly timeoutMs?: number;
  /**
   * Asks only: the message's id (default a new one). The actor applies an id at most once (its dedup window of
   * recent ids), so a retry with the first attempt's id is not applied twice. Reminders fire with one.
   */
  readonly messageId?: string;
}

export interface ClientCoreOptions {
  readonly transport: Transport;
  /** Cluster name for subjects (default `lucent`). */
  readonly cluster?: string;
  /** Cluster view for routing keyed calls and actors straight to their owner. */
  readonly viewSource?: ViewSource;
  /** Timeout of requests that set none. Default 10 000 ms; must be positive (else `ConfigError`). */
  readonly defaultTimeoutMs?: number;
  /** Shared codec; default a new one. */
  readonly codec?: EnvelopeCodec;
  /** `origin` of the envelopes sent (a node id when the client lives in a node); default `''`. */
  readonly origin?: string;
  /**
   * Time source of envelope deadlines: they cross processes, so they are its wall time (`wallNow()`). The
   * transport times the request itself: `connect` and `connectCluster` hand this clock to the transport they open.
   * Default `systemClock`.
   */
  readonly clock?: Clock;
  /** Replicas of the event streams if this client is the first to need them (default 1; nodes set theirs). */
  readonly eventReplicas?: number;
  /** Duplicate window of the event stream if this client creates it (default 120 000 ms). */
  readonly eventDuplicateWindowMs?: number;
  /**
   * The reference a call by name goes to (read by `LucentClient`: the deployed registry's weighted choice of a
   * version, `registry/registry-follower.ts`). Default: the name as is.
   */
  readonly resolveFunction?: (ref: string) => string;
  /**
   * Where the client's `lucent_retries_total{function, reason}` and `lucent_events_unhandled_total{type}` are
   * registered (prom-client); none: not exported.
   */
  readonly metricsRegistry?: Registry;
  /**
   * Where the client's warnings go (pino's `warn(obj, msg)`; a pino logger fits): `event.unhandled` when `emit`
   * stores a type no function handles, once per type per 10 minutes. Default: `process.emitWarning` with code
   * `LUCENT_EVENT_UNHANDLED`.
   */
  readonly logger?: UnhandledWarnSink;
}

/** The default warning sink of a client without a logger: Node's process warnings. */
const PROCESS_WARNINGS: UnhandledWarnSink = {
  warn: ({ type }) =>
    process.emitWarning(`event type '${type}' is handled by no function in the cluster (it was stored anyway)`, {
      type: 'LucentWarning',
      code: 'LUCENT_EVENT_UNHANDLED',
    }),
};

/** What an ask needs to be sent again (same id, same deadline). */
interface AskAttempt {
  readonly key: string;
  readonly event: unknown;
  readonly id: string;
  /** The envelope's deadline (wall ms). */
  readonly deadline: number;
  /** The envelope's `traceparent`: a retry is the same request, in the same span. */
  readonly traceparent: string;
  /** When (the clock's monotonic ms) the caller stops waiting. */
  readonly giveUpAt: number;
  /** The node subject of the last attempt. */
  sentTo: string;
}

/** Options of one `emit`. */
export interface EmitOptions extends MessageContextOptions {
  /**
   * The event's id (default: a new one). It is also the deduplication id: emits with the same id within the
   * duplicate window are stored once, so pass the first attempt's id when retrying an emit yourself.
   */
  readonly id?: string;
  /** How long to keep retrying an unreachable event log. Default: the client's `defaultTimeoutMs`. */
  readonly timeoutMs?: number;
  /** W3C `traceparent` of the trace the event belongs to (its handlers' runs and `Completed` carry it on). */
  readonly traceparent?: string;
}

/** First pause between emit retries; doubles up to {@link EMIT_RETRY_MAX_MS}. */
const EMIT_RETRY_FIRST_MS = 50;
const EMIT_RETRY_MAX_MS = 1000;

/** See the module doc. Methods that return promises never throw synchronously. */
export class ClientCore {
  readonly transport: Transport;
  readonly defaultTimeoutMs: number;
  readonly #codec: EnvelopeCodec;
  readonly #subjects: SubjectCache;
  readonly #view: ViewSource | undefined;
  readonly #origin: string;
  readonly #clock: Clock;
  readonly #eventLogOptions: EventLogOptions;
  #eventLog: Promise<EventLog> | undefined = undefined;
  /** Round-robin positions and sticky assignments of this client's calls. */
  readonly #routingStates = new RoutingStates();
  #closed = false;
  #reminders: ReminderWriter | undefined = undefined;
  /** Retries calls of definitions with a retry policy (`call-retrier.ts`). */
  readonly #retrier: CallRetrier;
  /** The node `#callSubject` placed the last call on (`undefined`: a queue group); read right after it. */
  #placedNode: string | undefined = undefined;
  /** Turn of calls by name among their function's hosts (`placeNamedCall`). */
  #nameTurn = 0;
  /** Counts and warns about `emit`s of types no function handles. */
  readonly #unhandledTypes: UnhandledEventTypes;

  /** Throws `ConfigError` for a cluster name that is not a subject token or a `defaultTimeoutMs` that is not positive. */
  constructor(options: ClientCoreOptions) {
    this.transport = options.transport;
    this.defaultTimeoutMs = checkTimeoutMs(options.defaultTimeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS, 'defaultTimeoutMs');
    this.#codec = options.codec ?? new EnvelopeCodec();
    this.#subjects = new SubjectCache(options.cluster);
    this.#view = options.viewSource;
    this.#origin = options.origin ?? '';
    this.#clock = options.clock ?? systemClock;
    this.#retrier = new CallRetrier({
      clock: this.#clock,
      view: this.#view,
      send: this.#sendAgain,
      onNodeLeft: this.#failRequestsToNode,
      decode: this.#decodeAnswer,
      explain: this.#explainCallFailure,
      registry: options.metricsRegistry,
    });
    this.#unhandledTypes = new UnhandledEventTypes({
      clock: this.#clock,
      eventLog: () => this.eventLog(),
      logger: options.logger ?? PROCESS_WARNINGS,
      help: 'Events this client emitted whose type no function in the cluster handles',
      registry: options.metricsRegistry,
    });
    this.#eventLogOptions = {
      cluster: this.#subjects.cluster,
      clock: this.#clock,
      ...(options.eventReplicas === undefined ? {} : { replicas: options.eventReplicas }),
      ...(options.eventDuplicateWindowMs === undefined ? {} : { duplicateWindowMs: options.eventDuplicateWindowMs }),
    };
  }

  /** The shared codec. */
  get codec(): EnvelopeCodec {
    return this.#codec;
  }

  /** The client's time source. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The cluster name of the subjects. */
  get cluster(): string {
    return this.#subjects.cluster;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Durable reminders and delayed messages of the cluster (`tellAt`); the store is opened on first use. */
  get reminders(): ReminderWriter {
    this.#reminders ??= new ReminderWriter(
      () => reminderStoreFor(this.transport, { cluster: this.cluster, replicas: this.#eventLogOptions.replicas ?? 1 }),
      this.#clock,
    );
    return this.#reminders;
  }

  /** Marks the client closed: later requests reject (and sends throw) with `ShuttingDownError`. Idempotent. */
  markClosed(): void {
    this.#closed = true;
  }

  /**
   * Calls function `ref` (`name` or `name@version`); `definition`, when known, lets a keyed call go straight
   * to its owner. Rejects with the error the serving node answered (revived with its code and `origin`),
   * `UnknownFunctionError` at once when no node serves `ref` (nobody subscribes its queue group),
   * `NodeUnavailableError` when the owner's subject has no subscriber (the node is gone), `TimeoutError`, `RoutingError` (keyed input without its shard key), `EncodeError`, `ShuttingDownError`.
   */
  call(
    ref: string,
    definition: FunctionDefinition | undefined,
    input: unknown,
    options?: RequestOptions,
  ): Promise<unknown> {
    if (definition?.input !== undefined) return this.#callChecked(ref, definition, input, options);
    return this.#send(ref, definition, input, options);
  }

  /** A call whose definition has an input schema: nothing is sent unless the input passes it. */
  async #callChecked(
    ref: string,
    definition: FunctionDefinition,
    input: unknown,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    this.#checkOpen();
    if (definition.input !== undefined) await checkInput(definition.name, definition.input, input);
    return this.#send(ref, definition, input, options);
  }

  /** Runs `input` on every matching shard (`scatter-gather.ts`). Never throws synchronously. */
  async scatter<O, R>(
    definition: FunctionDefinition,
    input: unknown,
    options: ScatterOptions<O, R>,
  ): Promise<ScatterResult<O> | R> {
    this.#checkOpen();
    return scatter(this.#fanOut(), definition, input, options, this.#timeoutOf(options));
  }

  /** Runs `inputs` with one batch per shard, results in input order (`scatter-gather.ts`). */
  async gather<O>(
    definition: FunctionDefinition,
    inputs: readonly unknown[],
    options: GatherOptions,
  ): Promise<O[] | GatherResult<O>> {
    this.#checkOpen();
    return gather<O>(this.#fanOut(), definition, inputs, options, this.#timeoutOf(options));
  }

  #fanOut(): FanOutContext {
    return {
      transport: this.transport,
      codec: this.#codec,
      subjects: this.#subjects,
      clock: this.#clock,
      origin: this.#origin,
      view: this.#view?.current(),
    };
  }

  /** Retries counted by this client for function `fn` (and `reason`: `node_unavailable`, `timeout`, ...). */
  retries(fn: string, reason?: string): number {
    return this.#retrier.retries(fn, reason);
  }

  #send(
    ref: string,
    definition: FunctionDefinition | undefined,
    input: unknown,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    let call: RetryCall;
    let subject: string;
    let frame: Uint8Array;
    let timeoutMs: number;
    // The caller's traceparent (call options) is the span's parent; without a recording SDK it passes through.
    const span = startClientSpan('call', ref, options?.traceparent);
    try {
      this.#checkOpen();
      timeoutMs = this.#timeoutOf(options);
      subject = this.#callSubject(ref, definition, input);
      const deadline = this.#clock.wallNow() + timeoutMs;
      // A plain call builds its options inline; only calls given a context pay for copying it.
      const envelope = callEnvelope(
        ref,
        input,
        options === undefined || !hasContext(options)
          ? { deadline, origin: this.#origin, traceparent: traceparentOf(span) }
          : {
              ...envelopeContext(deadline, this.#origin, options),
              traceparent: traceparentOf(span, options.traceparent),
            },
      );
      frame = this.#codec.encode(envelope);
      const giveUpAt = this.#clock.now() + timeoutMs;
      call = new RetryCall(ref, definition, input, options, envelope.id, envelope.deadline, giveUpAt, this.#placedNode);
    } catch (error) {
      endSpan(span, error);
      return Promise.reject(error);
    }
    // Per call: the call object and the caller's promise; the call receives its attempts' answers itself, decodes
    // them and retries per its policy (`call-retrier.ts`). Without a recording SDK the span adds nothing.
    const answer = this.#retrier.start(call);
    this.transport.requestTo(subject, frame, timeoutMs, ref, call);
    return endWhenSettled(span, answer);
  }

  readonly #isOpen = (node: string): boolean => this.#retrier.isOpen(node);

  /** `node` left the view: its pending calls and asks will get no answer, so they fail now (and may be retried). */
  readonly #failRequestsToNode = (node: string): void => {
    this.transport.failRequestsTo(
      this.#subjects.node(node),
      () => new NodeUnavailableError({ node, reason: LEFT_VIEW_REASON }),
    );
  };

  /** Sends the next attempt of a retried call: same envelope id and deadline, on a shard it has not failed on. */
  readonly #sendAgain = (call: RetryCall): void => {
    const options = call.options as RequestOptions | undefined;
    const node = retryTarget(call, this.#view?.current(), this.#isOpen);
    const subject = node === undefined ? this.#subjects.function(call.ref) : this.#subjects.node(node);
    const envelope = callEnvelope(call.ref, call.input, {
      ...envelopeContext(call.deadline, this.#origin, options),
      id: call.id,
      attempt: call.attempt,
    });
    const frame = this.#codec.encode(envelope);
    const remainingMs = Math.max(1, call.giveUpAt - this.#clock.now());
    call.sentTo = node;
    this.transport.requestTo(subject, frame, remainingMs, call.ref, call);
  };

  /**
   * Sends `event` to actor `key` (`type/id`). Throws `InvalidMessageError` (not an object with a string `type`),
   * `RoutingError` (no view), `EncodeError`, `ShuttingDownError`.
   */
  tell(key: string, event: unknown): void {
    this.#checkOpen();
    checkMessage(key, event);
    const subject = this.#actorSubject(key);
    const span = startClientSpan('tell', key);
    try {
      const envelope = tellEnvelope(key, event, { origin: this.#origin, traceparent: traceparentOf(span) });
      this.transport.send(subject, this.#codec.encode(envelope));
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    span.end();
  }

  /** Asks actor `key` (`type/id`); rejects like {@link call} (`UnknownActorTypeError` for an unknown type). */
  ask(key: string, event: unknown, options?: RequestOptions): Promise<unknown> {
    let sent: Promise<Uint8Array>;
    let attempt: AskAttempt;
    const span = startClientSpan('ask', key);
    try {
      this.#checkOpen();
      checkMessage(key, event);
      const timeoutMs = this.#timeoutOf(options);
      const subject = this.#actorSubject(key);
      const traceparent = traceparentOf(span);
      const id = options?.messageId;
      const envelope = askEnvelope(key, event, {
        deadline: this.#clock.wallNow() + timeoutMs,
        origin: this.#origin,
        traceparent,
        ...(id === undefined ? {} : { id }),
      });
      sent = this.transport.request(subject, this.#codec.encode(envelope), timeoutMs, `actor ${key}`);
      const giveUpAt = this.#clock.now() + timeoutMs;
      attempt = { key, event, id: envelope.id, deadline: envelope.deadline, traceparent, giveUpAt, sentTo: subject };
    } catch (error) {
      endSpan(span, error);
      return Promise.reject(error);
    }
    // One closure per ask for its retry (the ask already allocates its envelope); the answer handler is shared.
    // The retry also sees errors *answered* by a node (a relay to a gone owner), hence `catch` after decoding.
    const answer = sent.then(this.#decodeAnswer).catch((error: unknown) => this.#retryAsk(attempt, error));
    return endWhenSettled(span, answer);
  }

  /**
   * After `error` on an ask: when it says the node is gone and time is left, waits for the view to place the actor
   * on another node and sends the same envelope id there; otherwise rethrows `error`.
   */
  async #retryAsk(attempt: AskAttempt, error: unknown): Promise<unknown> {
    if (OverloadedError.is(error)) return this.#askAfterOverload(attempt, error);
    // Only "nobody subscribes that node's subject" or "it left the view" says the node is gone; other
    // unavailability (its store, our connection) is not cured by another node.
    if (!NodeUnavailableError.is(error) || !isNodeGone(error.details.reason) || this.#view === undefined) throw error;
    // No responders names the subject; a node that left the view is named by its id.
    const reason = error.details.reason;
    const gone = reason === LEFT_VIEW_REASON ? this.#subjects.node(error.details.node) : error.details.node;
    let subject = this.#placedSubject(attempt.key);
    // The node asked relayed to a gone owner (stale view there): pause once before asking it again.
    let paused = false;
    while (subject === undefined || subject === gone || (subject === attempt.sentTo && !paused)) {
      paused = true;
      const remaining = attempt.giveUpAt - this.#clock.now();
      if (remaining <= 0 || this.#closed) throw error;
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, Math.min(ASK_RETRY_POLL_MS, remaining)));
      subject = this.#placedSubject(attempt.key);
    }
    const remaining = attempt.giveUpAt - this.#clock.now();
    if (remaining <= 0 || this.#closed) throw error;
    return this.#askAgain(attempt, subject, remaining);
  }

  /**
   * After an overloaded owner refused the ask (it never reached the actor): waits the refusal's retry-after, then
   * asks again with the same id where the view places the actor now; throws `error` when the wait would outlast
   * the ask. Bounded by the ask's deadline, so a lasting overload ends in the refusal, not a hang.
   */
  async #askAfterOverload(attempt: AskAttempt, error: OverloadedError): Promise<unknown> {
    const wait = Math.max(1, error.details.retryAfterMs);
    if (attempt.giveUpAt - this.#clock.now() <= wait || this.#closed) throw error;
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, wait));
    const remaining = attempt.giveUpAt - this.#clock.now();
    if (remaining <= 0 || this.#closed) throw error;
    return this.#askAgain(attempt, this.#placedSubject(attempt.key) ?? attempt.sentTo, remaining);
  }

  /** Sends the ask of `attempt` again (same id, deadline and traceparent) to `subject`, retrying as the first. */
  #askAgain(attempt: AskAttempt, subject: string, remaining: number): Promise<unknown> {
    const options = {
      id: attempt.id,
      deadline: attempt.deadline,
      origin: this.#origin,
      traceparent: attempt.traceparent,
    };
    const envelope = askEnvelope(attempt.key, attempt.event, options);
    attempt.sentTo = subject;
    const sent = this.transport.request(subject, this.#codec.encode(envelope), remaining);
    return sent.then(this.#decodeAnswer).catch((next: unknown) => this.#retryAsk(attempt, next));
  }

  /** The node subject the view places `key` on, `undefined` when it cannot place it. */
  #placedSubject(key: string): string | undefined {
    const placement = placeActor(key, this.#view?.current());
    return placement.type === PlacementType.Node ? this.#subjects.node(placement.node) : undefined;
  }

  /**
   * Stores event `type` in the cluster's event log and resolves with its id once the log confirmed it (a type no
   * function handles is stored too, counted in `lucent_events_unhandled_total{type}` and warned about once). A
   * failure to reach the log (`TimeoutError`, `NodeUnavailableError`) is retried with the same id until
   * `timeoutMs`, so a retry is stored once (within the duplicate window). Rejects with that error after it,
   * `ConfigError` (invalid type), `EncodeError`, `ShuttingDownError`. Never throws synchronously.
   */
  async emit(type: string, data: unknown, options?: EmitOptions): Promise<string> {
    this.#checkOpen();
    const subject = this.#subjects.event(type);
    // The emit's span ends once the log stored the event (or gave up); its handlers' runs are its children.
    const span = startClientSpan('emit', type, options?.traceparent);
    let id: string;
    try {
      id = await this.#emitTraced(subject, type, data, options, traceparentOf(span, options?.traceparent));
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    span.end();
    return id;
  }

  async #emitTraced(
    subject: string,
    type: string,
    data: unknown,
    options: EmitOptions | undefined,
    traceparent: string,
  ): Promise<string> {
    const envelope = eventEnvelope(type, data, {
      ...envelopeContext(0, this.#origin, options),
      traceparent,
      ...(options?.id === undefined ? {} : { id: options.id }),
    });
    const message = encodeEventMessage(envelope, this.#codec);
    const publish = { msgId: envelope.id };
    // Checked beside the publish, not before it: the emit waits for nothing more than the log.
    void this.#unhandledTypes.check(type);
    const giveUpAt = this.#clock.now() + (options?.timeoutMs ?? this.defaultTimeoutMs);
    let pauseMs = EMIT_RETRY_FIRST_MS;
    for (;;) {
      try {
        await (await this.eventLog()).publish(subject, message, publish);
        return envelope.id;
      } catch (error) {
        const retryable = TimeoutError.is(error) || NodeUnavailableError.is(error);
        if (!retryable || this.#closed || this.#clock.now() + pauseMs >= giveUpAt) throw error;
      }
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, pauseMs));
      pauseMs = Math.min(pauseMs * 2, EMIT_RETRY_MAX_MS);
    }
  }

  /**
   * Subscribes to event `type` (see `event-subscription.ts`): `handler` per event, or an {@link EventStream}
   * without one. Throws `ConfigError` for a type that is not a valid event type, `ShuttingDownError` when closed.
   */
  subscribe<T>(type: string, handler: EventHandler<T>): EventSubscription;
  subscribe<T>(type: string, handler: undefined, options?: EventStreamOptions): EventStream<T>;
  subscribe<T>(
    type: string,
    handler: EventHandler<T> | undefined,
    options?: EventStreamOptions,
  ): EventSubscription | EventStream<T> {
    this.#checkOpen();
    const subject = this.#subjects.event(type);
    if (handler !== undefined) return subscribeEvents(this.transport, this.#codec, subject, handler);
    return new EventStream<T>((h) => subscribeEvents(this.transport, this.#codec, subject, h), options);
  }

  /** The cluster's event log, opened (and its streams created if missing) on first use. */
  eventLog(): Promise<EventLog> {
    this.#eventLog ??= eventLogFor(this.transport, this.#eventLogOptions).then(
      async (log) => {
        await log.ensureStreams();
        return log;
      },
      (error: unknown) => {
        this.#eventLog = undefined;
        throw error;
      },
    );
    const opened = this.#eventLog;
    opened.catch(() => {
      if (this.#eventLog === opened) this.#eventLog = undefined;
    });
    return opened;
  }

  /**
   * A function's queue group with no subscriber means no node serves the function: the wire's "no responders"
   * notice becomes `UnknownFunctionError` rather than a node error about a subject the caller never named.
   */
  readonly #explainCallFailure = (error: unknown): unknown => {
    if (NodeUnavailableError.is(error) && error.details.reason === NO_RESPONDERS_REASON) {
      const name = functionNameOf(this.#subjects.cluster, error.details.node);
      if (name !== undefined) return new UnknownFunctionError({ name }, { cause: error });
      // A `hash` call went to the node's placed subject: name the node's own subject, not the placement tag.
      const node = nodeSubjectOfPlaced(this.#subjects.cluster, error.details.node);
      if (node !== undefined) return new NodeUnavailableError({ ...error.details, node }, { cause: error });
    }
    return error;
  };

  #timeoutOf(options: RequestOptions | undefined): number {
    const timeoutMs = options?.timeoutMs;
    return timeoutMs === undefined ? this.defaultTimeoutMs : checkTimeoutMs(timeoutMs, 'timeoutMs');
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShuttingDownError({ node: 'client' });
  }

  /**
   * The node subject when the call is placed on a node (a keyed call's owner, on its placed subject; a call by name:
   * one of the function's hosts in turn, so a node that dies under it is noticed), else the function's queue group.
   */
  #callSubject(ref: string, definition: FunctionDefinition | undefined, input: unknown): string {
    this.#placedNode = undefined;
    const view = this.#view?.current();
    // Reads (and checks) a keyed call's shard key even without a view: the node would refuse it too.
    const placement =
      definition === undefined
        ? placeNamedCall(ref, view, this.#nameTurn++)
        : placeFunction(definition, input, view, this.#routingStates);
    // A node whose breaker is open gets no calls until it closes: the queue group picks a live server instead.
    if (placement.type !== PlacementType.Node || this.#retrier.isOpen(placement.node)) {
      return this.#subjects.function(ref);
    }
    this.#placedNode = placement.node;
    // A `hash` call names the view it was placed under: an owner with the same placement tag serves it without
    // placing it again; any other node (a stale view on either side) places it and forwards it if need be.
    if (view !== undefined && definition?.routing?.kind === RoutingKind.Hash) {
      return this.#subjects.placedNode(placement.node, view.placementTag);
    }
    return this.#subjects.node(placement.node);
  }

  #actorSubject(key: string): string {
    const view = this.#view?.current();
    const placement = placeActor(key, view);
    if (placement.type === PlacementType.Unplaced) {
      const type = key.slice(0, Math.max(0, key.indexOf('/')));
      const reason =
        view === undefined
          ? `cannot reach actor type '${type}': the client has no cluster view (connect with connectCluster)`
          : `no node hosts actor type '${type}': the cluster has no live members`;
      throw new RoutingError({ target: key, field: 'view', reason }, { message: reason });
    }
    return this.#subjects.node(placement.node);
  }

  /** Turns an answer's bytes into its value, or throws the error it carries. Bound once: no closure per call. */
  readonly #decodeAnswer = (answer: Uint8Array): unknown => {
    const decoded = this.#codec.decode(answer);
    if (decoded.kind === EnvelopeKind.Reply) return decoded.payload;
    if (decoded.kind === EnvelopeKind.Error) {
      const error = errorFromWire(decoded.payload as WireError);
      if (error.origin === undefined && decoded.origin !== '') error.origin = decoded.origin;
      throw error;
    }
    const reason = `the answer to a request is a ${envelopeKindName(decoded.kind)} envelope`;
    throw new DecodeError({ reason, byteLength: answer.byteLength });
  };
}

/** True for the `NodeUnavailableError` reasons that say the node itself is gone. */
function isNodeGone(reason: string): boolean {
  return reason === NO_RESPONDERS_REASON || reason === LEFT_VIEW_REASON;
}

/** Throws `InvalidMessageError` when `event` is not an actor message (checked again by the owning node). */
function checkMessage(key: string, event: unknown): void {
  const reason = actorMessageProblem(event);
  if (reason !== undefined) throw new InvalidMessageError({ actor: key, reason });
}

/** `timeoutMs` when it is positive (or `Infinity`); throws `ConfigError` naming `field` otherwise. */
function checkTimeoutMs(timeoutMs: number, field: string): number {
  if (typeof timeoutMs === 'number' && timeoutMs > 0) return timeoutMs;
  throw new ConfigError({
    subject: 'client',
    field,
    reason: `${String(timeoutMs)} is not a positive number of milliseconds (use Infinity to wait forever)`,
  });
}
