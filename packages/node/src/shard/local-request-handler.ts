/**
 * The default {@link RequestHandler}: serves what this node has, here, with no routing or forwarding. It makes
 * a standalone node (and a node before the router lands) usable and testable:
 *
 * ```
 *  Call  fn            ─► pool.call(fn, payload, { deadline }) ─► Reply | Error
 *  Ask   type/id       ─► actors.ask(type, id, payload)        ─► Reply | Error
 *  Tell  type/id       ─► actors.tell(type, id, payload)          (one-way; failures are counted)
 *  anything else, an unknown function or type, bytes that do not decode ─► Error envelope (typed code)
 * ```
 * Error envelopes carry the core codes (`LUCENT_UNKNOWN_FUNCTION`, `LUCENT_DECODE`, `LUCENT_HANDLER`, ...).
 * A frame that does not decode has no request id, so its error envelope's `correlationId` is `''`.
 *
 * Not the hot path the router will be: each call is an async function (one promise per call).
 */
import type { AnyActorDefinition, FunctionActors } from '@lucent/actors';
import {
  createEnvelope,
  type Envelope,
  EnvelopeKind,
  envelopeKindName,
  errorEnvelope,
  LucentError,
  RoutingError,
  replyEnvelope,
  toWireError,
  UnknownActorTypeError,
  UnknownFunctionError,
  type WireError,
} from '@lucent/core';
import type { FunctionCallMetrics } from '../metrics/node-metrics.js';
import type { FunctionPool } from '../pool/function-pool.js';
import type { Replier } from '../transport/transport.js';
import type { RequestHandler, ShardContext } from './shard-context.js';

/** Stands in for the request when a frame did not decode: answers then carry an empty correlation id. */
const UNDECODABLE_REQUEST: Envelope = createEnvelope(EnvelopeKind.Control, '', null, { id: '' });

/** Serves calls and actor messages locally. Create one per node with the node's {@link ShardContext}. */
export class LocalRequestHandler implements RequestHandler {
  readonly #context: ShardContext;
  readonly #pool: FunctionPool | undefined;
  readonly #actors: FunctionActors<readonly AnyActorDefinition[]>;
  /** Bound metrics per callable reference (`name` and `name@version`); also the "is it here" check. */
  readonly #functions = new Map<string, FunctionCallMetrics>();
  #inFlight = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(context: ShardContext) {
    this.#context = context;
    this.#pool = context.pool;
    this.#actors = context.actors;
    for (const reference of context.pool?.functions ?? []) {
      this.#functions.set(reference, context.metrics.forFunction(reference.split('@', 1)[0] as string));
    }
  }

  /** Requests accepted and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  handle(frame: Uint8Array, replier: Replier | undefined): void {
    let request: Envelope;
    try {
      request = this.#context.codec.decode(frame);
    } catch (error) {
      this.#fail(UNDECODABLE_REQUEST, replier, error, 'frame');
      return;
    }
    switch (request.kind) {
      case EnvelopeKind.Call:
        this.#track(this.#call(request, replier));
        return;
      case EnvelopeKind.Ask:
        this.#track(this.#ask(request, replier));
        return;
      case EnvelopeKind.Tell:
        this.#tell(request);
        return;
      default:
        this.#fail(
          request,
          replier,
          new RoutingError({
            target: request.target,
            field: 'kind',
            reason: `no local handler for '${envelopeKindName(request.kind)}'`,
          }),
          request.target,
        );
    }
  }

  drain(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  async #call(request: Envelope, replier: Replier | undefined): Promise<void> {
    const metrics = this.#functions.get(request.target);
    if (metrics === undefined || this.#pool === undefined) {
      this.#fail(request, replier, new UnknownFunctionError({ name: request.target }), request.target);
      return;
    }
    const started = this.#context.clock.now();
    try {
      const options = request.deadline === 0 ? undefined : { deadline: request.deadline };
      const value = await this.#pool.call(request.target, request.payload, options);
      metrics.succeeded((this.#context.clock.now() - started) / 1000);
      this.#answer(request, replier, value);
    } catch (error) {
      const wire = toWireError(error, request.target, this.#context.nodeId);
      metrics.failed(wire.code, (this.#context.clock.now() - started) / 1000);
      this.#send(errorEnvelope(request, wire, this.#context.nodeId), replier);
    }
  }

  async #ask(request: Envelope, replier: Replier | undefined): Promise<void> {
    const slash = request.target.indexOf('/');
    if (slash <= 0) {
      const error = new UnknownActorTypeError({ type: request.target });
      this.#fail(request, replier, error, request.target);
      return;
    }
    try {
      const timeoutMs =
        request.deadline === 0 ? undefined : Math.max(1, request.deadline - this.#context.clock.wallNow());
      const value = await this.#actors.ask(
        request.target.slice(0, slash),
        request.target.slice(slash + 1),
        request.payload as never,
        timeoutMs === undefined ? undefined : { timeoutMs },
      );
      this.#answer(request, replier, value);
    } catch (error) {
      this.#fail(request, replier, error, request.target);
    }
  }

  #tell(request: Envelope): void {
    const slash = request.target.indexOf('/');
    try {
      if (slash <= 0) throw new UnknownActorTypeError({ type: request.target });
      this.#actors.tell(request.target.slice(0, slash), request.target.slice(slash + 1), request.payload as never);
    } catch (error) {
      this.#fail(request, undefined, error, request.target);
    }
  }

  #answer(request: Envelope, replier: Replier | undefined, value: unknown): void {
    if (replier === undefined) return;
    this.#send(replyEnvelope(request, value, this.#context.nodeId), replier);
  }

  /** Counts the error and, for a request, answers it with an error envelope. */
  #fail(request: Envelope, replier: Replier | undefined, error: unknown, target: string): void {
    const wire: WireError = toWireError(error, target, this.#context.nodeId);
    this.#context.metrics.error(wire.code);
    if (!LucentError.isLucentError(error)) {
      this.#context.logger.warn({ err: error, target }, 'request.failed');
    }
    if (replier !== undefined) this.#send(errorEnvelope(request, wire, this.#context.nodeId), replier);
  }

  #send(answer: Envelope, replier: Replier | undefined): void {
    if (replier === undefined) return;
    let bytes: Uint8Array;
    try {
      bytes = this.#context.codec.encode(answer);
    } catch (error) {
      // The value did not encode (a symbol, over the size limit): the requester still gets a typed answer.
      const request = { ...UNDECODABLE_REQUEST, id: answer.correlationId, origin: answer.target };
      const wire = toWireError(error, answer.target, this.#context.nodeId);
      this.#context.metrics.error(wire.code);
      bytes = this.#context.codec.encode(errorEnvelope(request, wire, this.#context.nodeId));
    }
    replier.reply(bytes);
  }

  #track(work: Promise<void>): void {
    this.#inFlight++;
    void work.finally(() => {
      this.#inFlight--;
      if (this.#inFlight === 0 && this.#drainWaiters.length > 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }
}
