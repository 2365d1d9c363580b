/**
 * The server side of routing: what a node does with a frame that reaches it on its direct subject, a function
 * queue group or an event subject.
 *
 * ```
 *  frame ─► decode ──fail──► DecodeError answer (requests) / decodeFailed hook
 *             │
 *             ▼
 *  decideRoute(envelope, view, this node, now)          the pure decision: route-decision.ts
 *             │
 *             ├─ serve ──► call ─┐ one path: runner.call / actors.ask ─► reply | error
 *             │            ask ──┘
 *             │            tell ──► actors.tell                        (reply null to a request)
 *             │            event ─► event-dispatcher.ts                (reply null to a request)
 *             ├─ forward ─► owner's node subject (hops + 1), the owner's answer relayed
 *             └─ reject ──► error answer (requests) / dropped hook (one-way)
 * ```
 * Answers carry this node's id as `origin` (the envelope's and the wire error's), so a caller knows who failed.
 * A forwarded request's answer is relayed as the owner's bytes, not decoded again. Forwarding stops at the hop
 * limit (views that disagree for too long) with `HopLimitError`.
 *
 * Cost per request: one decode, one encode, two clock reads (arrival and answer; the deadline is checked against the
 * arrival's, `wall-time.ts`), one registry lookup after the decision's, and one async continuation (the runner's or
 * transport's promise), none for a call the pool ran inline and synchronously (`pool/call-now.ts`): that one is
 * answered before `handle` returns. No closures, no `Error` unless failing, no JSON.
 */
import {
  actorTargetSeparator,
  type Clock,
  checkInput,
  type DecodeError,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  errorEnvelope,
  type FunctionDefinition,
  type FunctionRegistry,
  forwardedEnvelope,
  functionNameOfRef,
  type InputSchema,
  type LucentError,
  NodeUnavailableError,
  RoutingStates,
  replyEnvelope,
  SubjectCache,
  systemClock,
  toLucentError,
  UnknownActorTypeError,
  type ViewSource,
} from '@lucent/core/internal';
import type { Span } from '@opentelemetry/api';
import { callNow } from '../pool/call-now.js';
import { endSpan, endWhenSettled, startRunSpan, startServerSpan, traceIdOf } from '../tracing/lucent-spans.js';
import { NO_RESPONDERS_REASON } from '../transport/frame-dispatch.js';
import type { FrameHandler, Replier, Transport } from '../transport/transport.js';
import { WallTime } from '../wall-time.js';
import { runBatch } from './batch-runner.js';
import { EventDispatcher } from './event-dispatcher.js';
import type { FunctionRunner, RunOptions } from './function-runner.js';
import { InFlight } from './in-flight.js';
import { idleLoad, type LocalLoad } from './overload-gate.js';
import { decideRoute, type RouteNode } from './route-decision.js';
import {
  type BoundRouterObserver,
  bindRouterObserver,
  MutableRouterStats,
  type RouterObserver,
  type RouterStats,
} from './router-observer.js';
import type { RunEffects } from './run-effects.js';

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
  /** `messageId` is the envelope id: the function actor applies a message id at most once (its dedup window). */
  ask(
    type: string,
    id: string,
    event: unknown,
    options?: { readonly timeoutMs?: number; readonly messageId?: string },
  ): Promise<unknown>;
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
  /** This node's live load (written by its load sampler); default: always idle. */
  readonly load?: LocalLoad;
  /** This node's tags: a version that prefers one of them scores higher in A/B selection. */
  readonly tags?: readonly string[];
  /** Writes what runs log, publishes what they emit and their result events (`run-effects.ts`); none: dropped. */
  readonly effects?: RunEffects;
}

const NO_RUN_OPTIONS: RunOptions = Object.freeze({});
// Stands in for `actors` when the node hosts none; the decision already rejects their messages.
const NO_ACTORS: ActorHost = Object.freeze({
  tell(type: string): void {
    throw new UnknownActorTypeError({ type });
  },
  ask(type: string): Promise<unknown> {
    return Promise.reject(new UnknownActorTypeError({ type }));
  },
});
// Stands in for the request when a frame does not decode: the answer then correlates with nothing (its
// `correlationId` is '').
const UNDECODABLE: Envelope = Object.freeze({
  kind: EnvelopeKind.Call,
  id: '',
  target: '',
  correlationId: '',
  deadline: 0,
  hops: 0,
  traceparent: '',
  origin: '',
  causationId: '',
  metadata: null,
  payload: null,
});

/**
 * Serves frames: `subscribeRequestHandler` subscribes {@link RoutingRequestHandler.handle} and `handlePlaced` on
 * the node's subjects. Neither throws nor blocks on work: results are answered when they are ready. A shard node
 * builds one from its parts in `ShardNode.start` (its only request handler) and drains it at shutdown.
 */
export class RoutingRequestHandler {
  /** The frame handler of the node's direct subject and queue groups, bound to this instance. */
  readonly handle: FrameHandler;
  /**
   * The frame handler of `lucent.<cluster>.node.<id>.*` (subscribe it `withSubject`): calls a client placed on this
   * node under the placement tag in the subject's last token. Under this node's own tag they are served without
   * being placed again (same ring, same owner); under any other tag (a stale view) they are handled as by `handle`.
   */
  readonly handlePlaced: FrameHandler;
  readonly nodeId: string;
  readonly #stats = new MutableRouterStats();
  readonly #codec: EnvelopeCodec;
  readonly #transport: Transport;
  readonly #runner: FunctionRunner;
  readonly #functions: FunctionRegistry;
  readonly #actors: ActorHost;
  readonly #view: ViewSource | undefined;
  /** This node as `decideRoute` sees it. */
  readonly #self: RouteNode;
  readonly #defaultTimeoutMs: number;
  readonly #clock: Clock;
  /** Deadlines are checked against the wall time of each request's one clock read. */
  readonly #wallTime: WallTime;
  readonly #observer: BoundRouterObserver;
  readonly #subjects: SubjectCache;
  readonly #events: EventDispatcher;
  readonly #inFlight = new InFlight();
  readonly #tags: readonly string[];
  readonly #effects: RunEffects | undefined;
  /** This node's placed subject under the view's placement tag `#placedTag`; rebuilt when the tag changes. */
  #placedTag = '';
  #placedSubject = '';

  constructor(options: RequestHandlerOptions) {
    this.nodeId = options.nodeId;
    this.#codec = options.codec ?? new EnvelopeCodec();
    this.#transport = options.transport;
    this.#runner = options.runner;
    this.#functions = options.functions;
    this.#actors = options.actors ?? NO_ACTORS;
    this.#view = options.view;
    const hopLimit = options.hopLimit ?? DEFAULT_HOP_LIMIT;
    this.#self = Object.freeze({
      nodeId: this.nodeId,
      functions: options.functions,
      hopLimit,
      hostsActors: options.actors !== undefined,
      routingStates: new RoutingStates(),
      load: options.load ?? idleLoad(),
    });
    this.#tags = options.tags ?? [];
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#wallTime = new WallTime(this.#clock);
    this.#observer = bindRouterObserver(options.observer);
    this.#subjects = new SubjectCache(options.cluster);
    this.#effects = options.effects;
    this.#events = new EventDispatcher({
      nodeId: this.nodeId,
      codec: this.#codec,
      transport: this.#transport,
      functions: options.functions,
      runner: this.#runner,
      view: this.#view,
      hopLimit,
      subjects: this.#subjects,
      observer: this.#observer,
      stats: this.#stats,
      inFlight: this.#inFlight,
      clock: this.#clock,
    });
    this.handle = (frame, replier) => this.#handle(frame, replier, false);
    this.handlePlaced = (frame, replier, subject) => this.#handle(frame, replier, this.#isOwnPlacedSubject(subject));
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

  /** True when `subject` is this node's placed subject under its view's current placement tag. */
  #isOwnPlacedSubject(subject: string | undefined): boolean {
    const view = this.#view?.current();
    if (subject === undefined || view === undefined) return false;
    if (view.placementTag !== this.#placedTag) {
      this.#placedTag = view.placementTag;
      this.#placedSubject = this.#subjects.placedNode(this.nodeId, view.placementTag);
    }
    if (subject !== this.#placedSubject) return false;
    this.#stats.placedHere++;
    return true;
  }

  /** @param placedHere the sender placed it on this node under this node's placement tag (`handlePlaced`) */
  #handle(frame: Uint8Array, replier: Replier | undefined, placedHere: boolean): void {
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
    // The request's one clock read (`wall-time.ts`): its deadline is checked against it, its duration starts at it.
    const received = this.#clock.now();
    try {
      const decision = decideRoute(
        envelope,
        this.#view?.current(),
        this.#self,
        this.#wallTime.at(received),
        placedHere,
      );
      switch (decision.type) {
        case 'serve':
          this.#serve(envelope, replier, received);
          return;
        case 'node':
          this.#forward(envelope, decision.node, replier);
          return;
        default:
          this.#fail(envelope, replier, decision.error, 0);
      }
    } catch (error) {
      this.#fail(envelope, replier, error, 0);
    }
  }

  /** Serves a request the decision placed here; may throw (a tell to an unknown type), answered by the caller. */
  #serve(envelope: Envelope, replier: Replier | undefined, received: number): void {
    switch (envelope.kind) {
      case EnvelopeKind.Tell: {
        if (replier !== undefined) {
          // An awaited tell: answered (null) once the actor handled it and, when durable, stored its state.
          this.#run(envelope, replier, received);
          return;
        }
        const target = envelope.target;
        const slash = actorTargetSeparator(target);
        const span = startServerSpan(envelope, this.nodeId);
        try {
          this.#actors.tell(target.slice(0, slash), target.slice(slash + 1), envelope.payload);
        } catch (error) {
          endSpan(span, error);
          throw error;
        }
        span.end();
        this.#succeed(envelope, replier, null, 0, traceIdOf(span));
        return;
      }
      case EnvelopeKind.Event:
        this.#events.dispatch(envelope);
        if (replier !== undefined) replier.reply(this.#replyFrame(envelope, null));
        return;
      default:
        // Call or Ask (the decision serves nothing else): both answer with what they resolve to.
        this.#run(envelope, replier, received);
    }
  }

  /**
   * Runs a call, an ask or an awaited tell (as an ask, answered with null) to its end and answers it: the one path
   * for work that resolves to a reply. A call that ran inline and synchronously (`pool/call-now.ts`) is answered
   * before this returns; everything else when its promise settles.
   * @param received the clock's `now()` when the request arrived: its duration counts from there
   */
  #run(envelope: Envelope, replier: Replier | undefined, received: number): void {
    this.#inFlight.begin();
    const span = startServerSpan(envelope, this.nodeId);
    const kind = envelope.kind;
    // Looked up once: its input schema, and whether its result events are asked for.
    const definition =
      kind === EnvelopeKind.Ask || kind === EnvelopeKind.Tell ? undefined : this.#functions.find(envelope.target);
    let outcome: unknown;
    try {
      outcome =
        kind === EnvelopeKind.Call
          ? this.#call(envelope, definition, span)
          : kind === EnvelopeKind.Batch
            ? runBatch(this.#runner, envelope, batchRunOptions(envelope), definition?.input)
            : this.#ask(envelope);
    } catch (error) {
      this.#failed(envelope, definition, replier, error, received, span);
      return;
    }
    if (outcome instanceof Promise)
      void this.#answerWhenSettled(envelope, definition, replier, outcome, received, span);
    else this.#answer(envelope, definition, replier, outcome, received, span);
  }

  async #answerWhenSettled(
    envelope: Envelope,
    definition: FunctionDefinition | undefined,
    replier: Replier | undefined,
    outcome: Promise<unknown>,
    received: number,
    span: Span,
  ): Promise<void> {
    let value: unknown;
    try {
      value = await outcome;
    } catch (error) {
      this.#failed(envelope, definition, replier, error, received, span);
      return;
    }
    this.#answer(envelope, definition, replier, value, received, span);
  }

  /** The run of `envelope` succeeded with `value`: its result event, its answer, its counters. */
  #answer(
    envelope: Envelope,
    definition: FunctionDefinition | undefined,
    replier: Replier | undefined,
    value: unknown,
    received: number,
    span: Span,
  ): void {
    span.end();
    const kind = envelope.kind;
    if (definition !== undefined && kind === EnvelopeKind.Call) this.#effects?.completed(envelope, definition, value);
    const answer = kind === EnvelopeKind.Tell ? null : value;
    this.#succeed(envelope, replier, answer, this.#clock.now() - received, traceIdOf(span));
    this.#inFlight.end();
  }

  /** The run of `envelope` failed with `error`: its result event, its error answer, its counters. */
  #failed(
    envelope: Envelope,
    definition: FunctionDefinition | undefined,
    replier: Replier | undefined,
    error: unknown,
    received: number,
    span: Span,
  ): void {
    endSpan(span, error);
    if (definition !== undefined && envelope.kind === EnvelopeKind.Call) {
      this.#effects?.failed(envelope, definition, toLucentError(error, envelope.target));
    }
    this.#fail(envelope, replier, error, this.#clock.now() - received, traceIdOf(span));
    this.#inFlight.end();
  }

  /** One options object per run: the deadline, and the request for `ctx` with where its effects go. */
  #runOptions(envelope: Envelope): RunOptions {
    const effects = this.#effects;
    if (effects === undefined) return envelope.deadline === 0 ? NO_RUN_OPTIONS : { deadline: envelope.deadline };
    return envelope.deadline === 0
      ? { request: envelope, effects }
      : { deadline: envelope.deadline, request: envelope, effects };
  }

  /**
   * Runs a call inside `span` (the request's); the pool run is its child span. Answers with the value itself when the
   * run was over on return (`callNow`), else with a promise.
   */
  #call(envelope: Envelope, definition: FunctionDefinition | undefined, span: Span): unknown {
    const options = this.#runOptions(envelope);
    const schema = definition?.input;
    if (schema !== undefined) return this.#callChecked(envelope, schema, options, span);
    // A bare name whose versions are chosen by weight runs the chosen version (`registry.select`).
    const ref = this.#functions.select(envelope.target, Math.random(), this.#tags);
    const run = startRunSpan(span, envelope.target);
    const outcome = callNow(this.#runner, ref, envelope.payload, options);
    if (outcome instanceof Promise) return endWhenSettled(run, outcome);
    // Over already: a non-recording `run` is the request's own span (ended with it), and ending it is a no-op.
    run.end();
    return outcome;
  }

  /** A call of a function with an input schema: the handler runs on the schema's output, or not at all. */
  async #callChecked(envelope: Envelope, schema: InputSchema, options: RunOptions, span: Span): Promise<unknown> {
    const input = await checkInput(functionNameOfRef(envelope.target), schema, envelope.payload);
    const run = startRunSpan(span, envelope.target);
    const ref = this.#functions.select(envelope.target, Math.random(), this.#tags);
    return endWhenSettled(run, this.#runner.call(ref, input, options));
  }

  #ask(envelope: Envelope): Promise<unknown> {
    const target = envelope.target;
    const slash = actorTargetSeparator(target);
    const timeoutMs = this.#remainingMs(envelope);
    const options = { timeoutMs, messageId: envelope.id };
    return this.#actors.ask(target.slice(0, slash), target.slice(slash + 1), envelope.payload, options);
  }

  /** Sends `envelope` on to `node` (the decision checked the hop limit); a request's answer is relayed to `replier`. */
  #forward(envelope: Envelope, node: string, replier: Replier | undefined): void {
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
      answer = await this.#transport.request(subject, frame, this.#remainingMs(envelope), envelope.target);
    } catch (error) {
      // A pure function runs the same anywhere: when the key's owner is gone (nobody on its subject; our view has
      // not dropped it yet), run the call here rather than fail it.
      if (
        envelope.kind === EnvelopeKind.Call &&
        ownerGone(error) &&
        this.#functions.find(envelope.target) !== undefined
      ) {
        this.#observer.retried(envelope.target, 'node_unavailable');
        this.#inFlight.end();
        this.#run(envelope, replier, this.#clock.now());
        return;
      }
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

  #succeed(envelope: Envelope, replier: Replier | undefined, value: unknown, durationMs: number, traceId = ''): void {
    if (replier !== undefined) replier.reply(this.#replyFrame(envelope, value));
    this.#stats.succeeded++;
    this.#observer.completed(envelope.kind, envelope.target, durationMs, '', envelope.id, traceId);
  }

  #fail(envelope: Envelope, replier: Replier | undefined, thrown: unknown, durationMs: number, traceId = ''): void {
    const error = toLucentError(thrown, envelope.target);
    this.#stats.failed++;
    if (replier === undefined) {
      this.#observer.dropped(envelope.kind, envelope.target, error);
      return;
    }
    replier.reply(this.#errorFrame(envelope, error));
    this.#observer.completed(envelope.kind, envelope.target, durationMs, error.code, envelope.id, traceId);
  }

  /** The reply to `request`; an unencodable value becomes an `EncodeError` answer instead. */
  #replyFrame(request: Envelope, value: unknown): Uint8Array {
    try {
      return this.#codec.encode(replyEnvelope(request, value, this.nodeId));
    } catch (error) {
      return this.#errorFrame(request, toLucentError(error, request.target));
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

/**
 * Options of a batch's runs: the request for `ctx`, but no effects sink: every item shares the request id from
 * which event ids derive, so their emitted events would be deduplicated into one (gather documents it).
 */
function batchRunOptions(envelope: Envelope): RunOptions {
  return envelope.deadline === 0 ? { request: envelope } : { deadline: envelope.deadline, request: envelope };
}

/** True for the wire's "nobody subscribes that node's subject" (the node is gone). */
function ownerGone(error: unknown): boolean {
  return NodeUnavailableError.is(error) && error.details.reason === NO_RESPONDERS_REASON;
}
