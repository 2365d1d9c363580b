/**
 * The server side of routing: what a node does with a frame that reaches it on its direct subject, a function
 * queue group or an event subject.
 *
 * ```
 *  frame ─► decode ──fail──► DecodeError answer (requests) / decodeFailed hook
 *             │
 *             ├─ expired deadline ─────────────► TimeoutError answer, nothing runs
 *             ├─ call  ─► registry ─► placement ─┬─ local ──► runner.call ─► reply | error
 *             ├─ tell/ask ─────────► placement ─┤─ local ──► function actors ─► (ask) reply | error
 *             ├─ event ─► see event-dispatcher.ts│
 *             └─ other kinds ─► RoutingError     └─ forward ─► owner's node subject (hops + 1), reply relayed
 * ```
 * Answers carry this node's id as `origin` (the envelope's and the wire error's), so a caller knows who failed.
 * A forwarded request's answer is relayed as the owner's bytes, not decoded again. Forwarding stops at the hop
 * limit (views that disagree for too long) with `HopLimitError`.
 *
 * Cost per request: one decode, one encode, and one async continuation (the runner's or transport's promise);
 * no closures, no `Error` unless failing, no JSON.
 */
import {
  type Clock,
  type DecodeError,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  envelopeKindName,
  errorEnvelope,
  type FunctionRegistry,
  forwardedEnvelope,
  HopLimitError,
  type LucentError,
  RoutingError,
  replyEnvelope,
  systemClock,
  TimeoutError,
  UnknownActorTypeError,
} from '@lucent/core';
import type { FrameHandler, Replier, Transport } from '../transport/transport.js';
import { asLucentError } from './as-lucent-error.js';
import { EventDispatcher } from './event-dispatcher.js';
import type { FunctionRunner, RunOptions } from './function-runner.js';
import { InFlight } from './in-flight.js';
import { actorTargetSeparator, placeFunction, placeKey, type ViewSource } from './placement.js';
import {
  type BoundRouterObserver,
  bindRouterObserver,
  MutableRouterStats,
  type RouterObserver,
  type RouterStats,
} from './router-observer.js';
import { SubjectCache } from './subject-cache.js';

/** Default {@link RequestHandlerOptions.hopLimit}. */
export const DEFAULT_HOP_LIMIT = 3;
/** Default {@link RequestHandlerOptions.defaultTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The function actors a node hosts, by `(type, id)`. `FunctionActors` of `@lucent/actors` implements it.
 * `tell` throws `UnknownActorTypeError` for an unknown type; `ask` rejects with it.
 */
export interface ActorHost {
  tell(type: string, id: string, event: unknown): void;
  ask(type: string, id: string, event: unknown, options?: { readonly timeoutMs?: number }): Promise<unknown>;
}

/** Options of {@link createRequestHandler}. */
export interface RequestHandlerOptions {
  /** This node's id: answers' `origin`, and the owner it compares placements with. */
  readonly nodeId: string;
  /** Cluster name for subjects (default `lucent`). */
  readonly cluster?: string;
  /** Where forwards and `Completed` events are sent. */
  readonly transport: Transport;
  /** Which functions exist here (names, versions, `shardBy`, event handlers). */
  readonly functions: FunctionRegistry;
  /** Runs them: the node's `FunctionPool`, or `createInlineRunner(functions)`. */
  readonly runner: FunctionRunner;
  /** The function actors of this node; without it every tell/ask served here fails `UnknownActorTypeError`. */
  readonly actors?: ActorHost;
  /** The live cluster view; without it (or while it is empty) everything is served locally. */
  readonly view?: ViewSource;
  /** Shared codec (one per process is enough); default a new one. */
  readonly codec?: EnvelopeCodec;
  /** Most forwards a message may have had before this node refuses to forward it again. Default 3. */
  readonly hopLimit?: number;
  /** Timeout of forwards and asks for requests that carry no deadline. Default 30 000 ms. */
  readonly defaultTimeoutMs?: number;
  /**
   * Time source: envelope deadlines are read against its wall time (`wallNow()`), run durations for the observer
   * against its monotonic `now()`. Default `systemClock`.
   */
  readonly clock?: Clock;
  readonly observer?: RouterObserver;
}

const NO_RUN_OPTIONS: RunOptions = Object.freeze({});
// Stands in for the request when a frame does not decode: the answer then correlates with nothing.
const UNDECODABLE: Envelope = Object.freeze({
  kind: EnvelopeKind.Call,
  id: 'undecodable',
  target: '',
  correlationId: '',
  deadline: 0,
  hops: 0,
  traceparent: '',
  origin: '',
  payload: null,
});

/**
 * Serves frames: subscribe {@link RoutingRequestHandler.handle} on the node's subjects (`routerSubscriptions`).
 * `handle` never throws and never blocks on work: results are answered when they are ready. Implements the
 * shard shell's `RequestHandler` (`handle`, `drain`).
 */
export class RoutingRequestHandler {
  /** The frame handler, bound to this instance: pass it to `transport.subscribe` as is. */
  readonly handle: FrameHandler;
  readonly nodeId: string;
  readonly #stats = new MutableRouterStats();
  readonly #codec: EnvelopeCodec;
  readonly #transport: Transport;
  readonly #functions: FunctionRegistry;
  readonly #runner: FunctionRunner;
  readonly #actors: ActorHost | undefined;
  readonly #view: ViewSource | undefined;
  readonly #hopLimit: number;
  readonly #defaultTimeoutMs: number;
  readonly #clock: Clock;
  readonly #observer: BoundRouterObserver;
  readonly #subjects: SubjectCache;
  readonly #events: EventDispatcher;
  readonly #inFlight = new InFlight();

  constructor(options: RequestHandlerOptions) {
    this.nodeId = options.nodeId;
    this.#codec = options.codec ?? new EnvelopeCodec();
    this.#transport = options.transport;
    this.#functions = options.functions;
    this.#runner = options.runner;
    this.#actors = options.actors;
    this.#view = options.view;
    this.#hopLimit = options.hopLimit ?? DEFAULT_HOP_LIMIT;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#observer = bindRouterObserver(options.observer);
    this.#subjects = new SubjectCache(options.cluster);
    this.#events = new EventDispatcher({
      nodeId: this.nodeId,
      codec: this.#codec,
      transport: this.#transport,
      functions: this.#functions,
      runner: this.#runner,
      view: this.#view,
      hopLimit: this.#hopLimit,
      subjects: this.#subjects,
      observer: this.#observer,
      stats: this.#stats,
      inFlight: this.#inFlight,
      clock: this.#clock,
    });
    this.handle = (frame, replier) => this.#handle(frame, replier);
  }

  /** Counters since creation (a live object: read fields when needed). */
  get stats(): RouterStats {
    return this.#stats;
  }

  /** Requests, forwards and event runs accepted and not yet finished. */
  get inFlight(): number {
    return this.#inFlight.count;
  }

  /**
   * Resolves when everything accepted so far has been answered (or, for one-way work, finished). Unsubscribe
   * first: frames that keep arriving keep it waiting. Never rejects.
   */
  drain(): Promise<void> {
    return this.#inFlight.drained();
  }

  #handle(frame: Uint8Array, replier: Replier | undefined): void {
    this.#stats.received++;
    let envelope: Envelope;
    try {
      envelope = this.#codec.decode(frame);
    } catch (error) {
      this.#stats.decodeErrors++;
      // The codec throws DecodeError and nothing else.
      const decodeError = error as DecodeError;
      if (replier !== undefined) replier.reply(this.#errorFrame(UNDECODABLE, decodeError));
      this.#observer.decodeFailed(decodeError, replier !== undefined);
      return;
    }
    try {
      if (envelope.deadline !== 0 && this.#clock.wallNow() >= envelope.deadline) {
        throw new TimeoutError({ target: envelope.target, timeoutMs: 0 });
      }
      switch (envelope.kind) {
        case EnvelopeKind.Call:
          this.#onCall(envelope, replier);
          return;
        case EnvelopeKind.Tell:
        case EnvelopeKind.Ask:
          this.#onActorMessage(envelope, replier);
          return;
        case EnvelopeKind.Event:
          this.#events.dispatch(envelope);
          if (replier !== undefined) replier.reply(this.#replyFrame(envelope, null));
          return;
        default: {
          const reason = `${envelopeKindName(envelope.kind)} envelopes are not requests`;
          throw new RoutingError({ target: envelope.target, field: 'kind', reason });
        }
      }
    } catch (error) {
      this.#fail(envelope, replier, error, 0);
    }
  }

  #onCall(envelope: Envelope, replier: Replier | undefined): void {
    // `get` throws UnknownFunctionError / FunctionDisabledError; `find` first keeps the hit path to one lookup.
    const definition = this.#functions.find(envelope.target) ?? this.#functions.get(envelope.target);
    const placement = placeFunction(definition, envelope.payload, this.#view?.current(), this.nodeId);
    if (placement.type === 'forward') this.#forward(envelope, placement.node, replier);
    else void this.#runCall(envelope, replier);
  }

  #onActorMessage(envelope: Envelope, replier: Replier | undefined): void {
    const target = envelope.target;
    const slash = actorTargetSeparator(target);
    if (slash < 0) throw new RoutingError({ target, field: 'target', reason: "an actor target is 'type/id'" });
    const placement = placeKey(target, this.#view?.current(), this.nodeId);
    if (placement.type === 'forward') {
      this.#forward(envelope, placement.node, replier);
      return;
    }
    const type = target.slice(0, slash);
    const actors = this.#actors;
    if (actors === undefined) throw new UnknownActorTypeError({ type });
    const id = target.slice(slash + 1);
    if (envelope.kind === EnvelopeKind.Ask) {
      void this.#runAsk(actors, envelope, type, id, replier);
      return;
    }
    actors.tell(type, id, envelope.payload);
    this.#succeed(envelope, replier, null, 0);
  }

  async #runCall(envelope: Envelope, replier: Replier | undefined): Promise<void> {
    this.#inFlight.begin();
    const started = this.#clock.now();
    const options = envelope.deadline === 0 ? NO_RUN_OPTIONS : { deadline: envelope.deadline };
    let value: unknown;
    try {
      value = await this.#runner.call(envelope.target, envelope.payload, options);
    } catch (error) {
      this.#fail(envelope, replier, error, this.#clock.now() - started);
      this.#inFlight.end();
      return;
    }
    this.#succeed(envelope, replier, value, this.#clock.now() - started);
    this.#inFlight.end();
  }

  async #runAsk(
    actors: ActorHost,
    envelope: Envelope,
    type: string,
    id: string,
    replier: Replier | undefined,
  ): Promise<void> {
    this.#inFlight.begin();
    const started = this.#clock.now();
    let value: unknown;
    try {
      value = await actors.ask(type, id, envelope.payload, { timeoutMs: this.#remainingMs(envelope) });
    } catch (error) {
      this.#fail(envelope, replier, error, this.#clock.now() - started);
      this.#inFlight.end();
      return;
    }
    this.#succeed(envelope, replier, value, this.#clock.now() - started);
    this.#inFlight.end();
  }

  /** Sends `envelope` on to `node`; a request's answer is relayed to `replier`. Throws HopLimitError past the limit. */
  #forward(envelope: Envelope, node: string, replier: Replier | undefined): void {
    if (envelope.hops >= this.#hopLimit) throw new HopLimitError({ target: envelope.target, hops: envelope.hops });
    const subject = this.#subjects.node(node);
    const frame = this.#codec.encode(forwardedEnvelope(envelope));
    if (replier === undefined) this.#transport.send(subject, frame);
    else void this.#relay(envelope, subject, frame, replier);
    this.#stats.forwarded++;
    this.#observer.forwarded(envelope.kind, envelope.target, node);
  }

  async #relay(envelope: Envelope, subject: string, frame: Uint8Array, replier: Replier): Promise<void> {
    this.#inFlight.begin();
    let answer: Uint8Array;
    try {
      answer = await this.#transport.request(subject, frame, this.#remainingMs(envelope));
    } catch (error) {
      this.#fail(envelope, replier, error, 0);
      this.#inFlight.end();
      return;
    }
    // The owner's answer already names the requester, the correlation id and the owner as origin.
    replier.reply(answer);
    this.#inFlight.end();
  }

  #remainingMs(envelope: Envelope): number {
    return envelope.deadline === 0 ? this.#defaultTimeoutMs : Math.max(1, envelope.deadline - this.#clock.wallNow());
  }

  #succeed(envelope: Envelope, replier: Replier | undefined, value: unknown, durationMs: number): void {
    if (replier !== undefined) replier.reply(this.#replyFrame(envelope, value));
    this.#stats.succeeded++;
    this.#observer.completed(envelope.kind, envelope.target, durationMs, '');
  }

  #fail(envelope: Envelope, replier: Replier | undefined, thrown: unknown, durationMs: number): void {
    const error = asLucentError(thrown, envelope.target);
    this.#stats.failed++;
    if (replier === undefined) {
      this.#observer.dropped(envelope.kind, envelope.target, error);
      return;
    }
    replier.reply(this.#errorFrame(envelope, error));
    this.#observer.completed(envelope.kind, envelope.target, durationMs, error.code);
  }

  /** The reply to `request`; an unencodable value becomes an `EncodeError` answer instead. */
  #replyFrame(request: Envelope, value: unknown): Uint8Array {
    try {
      return this.#codec.encode(replyEnvelope(request, value, this.nodeId));
    } catch (error) {
      return this.#errorFrame(request, asLucentError(error, request.target));
    }
  }

  #errorFrame(request: Envelope, error: LucentError): Uint8Array {
    // The wire error names the node that raised it (this one unless it came from elsewhere); the envelope, who answers.
    const origin = error.origin ?? this.nodeId;
    try {
      return this.#codec.encode(errorEnvelope(request, error.toWire(origin), this.nodeId));
    } catch {
      // Details that do not encode (a user error's odd fields): answer with the code and message only.
      const plain = { code: error.code, name: error.name, message: error.message, details: {}, origin };
      return this.#codec.encode(errorEnvelope(request, plain, this.nodeId));
    }
  }
}

/** Builds a {@link RoutingRequestHandler}. Throws `ConfigError` for a cluster name that is not a subject token. */
export function createRequestHandler(options: RequestHandlerOptions): RoutingRequestHandler {
  return new RoutingRequestHandler(options);
}
