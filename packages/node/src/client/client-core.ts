/**
 * The untyped engine under `LucentClient` and its actor handles: routing (the same placement as the nodes),
 * envelopes, one codec, and turning answers back into values or Lucent errors.
 *
 * ```
 *  call(def, input) ── keyed & view ──► owner's node subject ─┐
 *                   └─ otherwise ─────► fn.<name> queue group ─┤── transport.request ──► decode ──► value
 *  tell/ask(type/id) ── view ─────────► owner's node subject ─┘                        └─► errorFromWire → throw
 *  emit(type, data) ──────────────────► events.<type> (one-way)
 * ```
 * A client whose view is stale still reaches the right node: the receiving node forwards (router). A client
 * without a view sends calls to the function's queue group; it cannot address actors (there is no "any node"
 * subject for them), so tells and asks then fail with `RoutingError`.
 */
import {
  askEnvelope,
  type Clock,
  callEnvelope,
  DecodeError,
  EnvelopeCodec,
  EnvelopeKind,
  envelopeKindName,
  errorFromWire,
  eventEnvelope,
  type FunctionDefinition,
  functionNameOf,
  NodeUnavailableError,
  PlacementType,
  placeActor,
  placeFunction,
  RoutingError,
  ShuttingDownError,
  SubjectCache,
  systemClock,
  tellEnvelope,
  UnknownFunctionError,
  type ViewSource,
  type WireError,
} from '@lucent/core/internal';
import { NO_RESPONDERS_REASON } from '../transport/frame-dispatch.js';
import type { Transport } from '../transport/transport.js';

/** Default {@link ClientCoreOptions.defaultTimeoutMs}. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** Per-request options. */
export interface RequestOptions {
  /** How long to wait for the answer; it also becomes the envelope's deadline. Default: the client's. */
  readonly timeoutMs?: number;
}

export interface ClientCoreOptions {
  readonly transport: Transport;
  /** Cluster name for subjects (default `lucent`). */
  readonly cluster?: string;
  /** Cluster view for routing keyed calls and actors straight to their owner. */
  readonly viewSource?: ViewSource;
  /** Timeout of requests that set none. Default 10 000 ms. */
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
}

/** See the module doc. Methods that return promises never throw synchronously. */
export class ClientCore {
  readonly transport: Transport;
  readonly defaultTimeoutMs: number;
  readonly #codec: EnvelopeCodec;
  readonly #subjects: SubjectCache;
  readonly #view: ViewSource | undefined;
  readonly #origin: string;
  readonly #clock: Clock;
  #closed = false;

  /** Throws `ConfigError` for a cluster name that is not a subject token. */
  constructor(options: ClientCoreOptions) {
    this.transport = options.transport;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    this.#codec = options.codec ?? new EnvelopeCodec();
    this.#subjects = new SubjectCache(options.cluster);
    this.#view = options.viewSource;
    this.#origin = options.origin ?? '';
    this.#clock = options.clock ?? systemClock;
  }

  get isClosed(): boolean {
    return this.#closed;
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
    let sent: Promise<Uint8Array>;
    try {
      this.#checkOpen();
      const subject = this.#callSubject(ref, definition, input);
      const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
      const envelope = callEnvelope(ref, input, { deadline: this.#clock.wallNow() + timeoutMs, origin: this.#origin });
      sent = this.transport.request(subject, this.#codec.encode(envelope), timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    // `.then` on the transport's promise rather than `async`/`await` layers: one promise per call instead of
    // three (the client's share of CPU per remote call is ~3 µs, so promise bookkeeping shows). Both handlers
    // are bound once: no closure per call.
    return sent.then(this.#decodeAnswer, this.#explainCallFailure);
  }

  /** Sends `event` to actor `key` (`type/id`). Throws `RoutingError` (no view), `EncodeError`, `ShuttingDownError`. */
  tell(key: string, event: unknown): void {
    this.#checkOpen();
    const subject = this.#actorSubject(key);
    this.transport.send(subject, this.#codec.encode(tellEnvelope(key, event, { origin: this.#origin })));
  }

  /** Asks actor `key` (`type/id`); rejects like {@link call} (`UnknownActorTypeError` for an unknown type). */
  ask(key: string, event: unknown, options?: RequestOptions): Promise<unknown> {
    let sent: Promise<Uint8Array>;
    try {
      this.#checkOpen();
      const subject = this.#actorSubject(key);
      const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
      const envelope = askEnvelope(key, event, { deadline: this.#clock.wallNow() + timeoutMs, origin: this.#origin });
      sent = this.transport.request(subject, this.#codec.encode(envelope), timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return sent.then(this.#decodeAnswer);
  }

  /** Publishes event `type`. At most once; throws `ConfigError` (invalid type), `EncodeError`, `ShuttingDownError`. */
  emit(type: string, data: unknown): void {
    this.#checkOpen();
    const subject = this.#subjects.event(type);
    this.transport.send(subject, this.#codec.encode(eventEnvelope(type, data, { origin: this.#origin })));
  }

  /**
   * A function's queue group with no subscriber means no node serves the function: the wire's "no responders"
   * notice becomes `UnknownFunctionError` rather than a node error about a subject the caller never named.
   */
  readonly #explainCallFailure = (error: unknown): never => {
    if (NodeUnavailableError.is(error) && error.details.reason === NO_RESPONDERS_REASON) {
      const name = functionNameOf(this.#subjects.cluster, error.details.node);
      if (name !== undefined) throw new UnknownFunctionError({ name }, { cause: error });
    }
    throw error;
  };

  #checkOpen(): void {
    if (this.#closed) throw new ShuttingDownError({ node: 'client' });
  }

  /** The owner's node subject when the call is placed on a node, else the function's queue group (any node). */
  #callSubject(ref: string, definition: FunctionDefinition | undefined, input: unknown): string {
    if (definition === undefined) return this.#subjects.function(ref);
    // Reads (and checks) a keyed call's shard key even without a view: the node would refuse it too.
    const placement = placeFunction(definition, input, this.#view?.current());
    return placement.type === PlacementType.Node ? this.#subjects.node(placement.node) : this.#subjects.function(ref);
  }

  #actorSubject(key: string): string {
    const placement = placeActor(key, this.#view?.current());
    if (placement.type === PlacementType.Unplaced) {
      throw new RoutingError({ target: key, field: 'view', reason: 'the client has no cluster view to place actors' });
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
