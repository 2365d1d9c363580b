/**
 * The handlers of `lucent.v1.FunctionService` (`proto/lucent/v1/function_service.proto`). They translate and
 * delegate: every request goes through the node's own client engine (`ClientCore`), so a gateway call is routed,
 * deadlined, retried and answered exactly as a Node.js client's would be.
 *
 * ```
 *  ExecuteFunction(name, event) ─► readCloudEvent ─► core.call(name, definition?, input, deadline) ─► data | error
 *  Ask / Tell(type, id, event)  ─► message = data (+ `type` from the event) ─► core.ask / core.tell
 *  Emit(event)                  ─► core.emit(event.type, data, id = cloudEventDedupId(source, id)) ─► stored id
 *  Subscribe(types, accept)     ─► one transport subscription per event subject ─► CloudEvents, live
 * ```
 * Dotted CloudEvent types (`com.example.created`) are stored and followed under their event type name
 * (`com__example__created`) and stream out dotted again (`event-type-name.ts` in core).
 * ```
 * ```
 * Failures answer per `grpc-status.ts`: the function's own failure in the response's `error`, the rest as a gRPC
 * status; both with the `lucent-code` trailer. A bad `event` is `InvalidCloudEventError` (as over HTTP), a bad
 * field around it `InvalidRequestError`.
 */
import {
  Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  actorKey,
  type Clock,
  type EnvelopeCodec,
  EnvelopeKind,
  eventSubject,
  eventTypeProblem,
  type FunctionRegistry,
  InvalidCloudEventError,
  InvalidRequestError,
  TimeoutError,
} from '@lucent/core/internal';
import type { ClientCore } from '../client/client-core.js';
import type { Logger } from '../logging.js';
import { InFlight } from '../router/in-flight.js';
import type { Transport, TransportSubscription } from '../transport/transport.js';
import { cloudEventOfEnvelope } from './cloud-event-envelope.js';
import {
  type CloudEventMessage,
  encodePayload,
  formatOfMediaType,
  mediaTypeOf,
  PayloadFormat,
  readCloudEvent,
} from './cloud-event-payload.js';
import { timeoutForDeadline } from './grpc-deadline.js';
import { type GrpcFailure, grpcFailureOf, LUCENT_CODE_TRAILER } from './grpc-status.js';
import { cloudEventDedupId, cloudEventTypeProblem } from './lucent-cloud-event.js';

/** Events a subscriber may have queued (not yet written to its socket) before its stream is ended. */
export const SUBSCRIBER_BACKLOG_LIMIT = 10_000;

export interface ExecuteFunctionRequest {
  readonly name?: string;
  readonly event?: CloudEventMessage | null;
}
export interface ActorRequest {
  readonly type?: string;
  readonly id?: string;
  readonly event?: CloudEventMessage | null;
}
export interface EmitRequest {
  readonly event?: CloudEventMessage | null;
}
export interface SubscribeRequest {
  readonly types?: readonly string[];
  readonly accept?: string;
}
/** `ExecuteFunctionResponse` and `AskResponse`: one of `data` and `error`. */
export interface ResultResponse {
  readonly data?: Buffer;
  readonly error?: string;
  readonly datacontenttype: string;
}

/** What the handlers run on: the node's parts. */
export interface FunctionServiceOptions {
  readonly core: ClientCore;
  /** The node's functions: a known definition lets a keyed call go straight to its owner. */
  readonly functions: FunctionRegistry;
  readonly transport: Transport;
  readonly codec: EnvelopeCodec;
  readonly cluster: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The service implementation, plus `endSubscriptions` for shutdown. */
export class FunctionService {
  readonly #options: FunctionServiceOptions;
  readonly #subscribers = new Set<ServerWritableStream<SubscribeRequest, CloudEventMessage>>();
  /** Unary calls accepted and not yet answered, for the drain on shutdown. */
  readonly #inFlight = new InFlight();

  constructor(options: FunctionServiceOptions) {
    this.#options = options;
  }

  /** The handlers by method name, for `server.addService` (built once). */
  readonly implementation: UntypedServiceImplementation = {
    ExecuteFunction: (
      call: ServerUnaryCall<ExecuteFunctionRequest, ResultResponse>,
      done: sendUnaryData<ResultResponse>,
    ) => this.#execute(call, this.#counted(done)),
    Ask: (call: ServerUnaryCall<ActorRequest, ResultResponse>, done: sendUnaryData<ResultResponse>) =>
      this.#ask(call, this.#counted(done)),
    Tell: (call: ServerUnaryCall<ActorRequest, object>, done: sendUnaryData<object>) =>
      this.#tell(call, this.#counted(done)),
    Emit: (call: ServerUnaryCall<EmitRequest, { id: string }>, done: sendUnaryData<{ id: string }>) =>
      this.#emit(call, this.#counted(done)),
    Subscribe: (call: ServerWritableStream<SubscribeRequest, CloudEventMessage>) => this.#subscribe(call),
  };

  /** Resolves once no unary call is waiting for its answer (at once when none is). Never rejects. */
  drained(): Promise<void> {
    return this.#inFlight.drained();
  }

  /** Live subscriptions (streams open). */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Ends every open Subscribe stream with UNAVAILABLE (the node is stopping). */
  endSubscriptions(): void {
    for (const call of this.#subscribers) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'the node is shutting down' });
    }
    this.#subscribers.clear();
  }

  /** `done`, counted in flight from now until it is called. */
  #counted<T>(done: sendUnaryData<T>): sendUnaryData<T> {
    this.#inFlight.begin();
    return (...answer) => {
      this.#inFlight.end();
      done(...answer);
    };
  }

  #execute(call: ServerUnaryCall<ExecuteFunctionRequest, ResultResponse>, done: sendUnaryData<ResultResponse>): void {
    const { core, functions } = this.#options;
    let reply: PayloadFormat = PayloadFormat.Json;
    let result: Promise<unknown>;
    try {
      const name = call.request.name ?? '';
      if (name === '') throw new InvalidRequestError({ field: 'name', reason: 'is required' });
      const input = readCloudEvent(call.request.event, 'event');
      reply = input.reply;
      const timeoutMs = this.#timeoutOf(call, name);
      result = core.call(name, functions.find(name), input.value, { timeoutMs });
    } catch (error) {
      result = Promise.reject(error);
    }
    answerResult(result, reply, done);
  }

  #ask(call: ServerUnaryCall<ActorRequest, ResultResponse>, done: sendUnaryData<ResultResponse>): void {
    let reply: PayloadFormat = PayloadFormat.Json;
    let result: Promise<unknown>;
    try {
      const { key, message, format } = actorMessageOf(call.request);
      reply = format;
      result = this.#options.core.ask(key, message, { timeoutMs: this.#timeoutOf(call, `actor ${key}`) });
    } catch (error) {
      result = Promise.reject(error);
    }
    answerResult(result, reply, done);
  }

  #tell(call: ServerUnaryCall<ActorRequest, object>, done: sendUnaryData<object>): void {
    try {
      const { key, message } = actorMessageOf(call.request);
      this.#options.core.tell(key, message);
      done(null, {});
    } catch (error) {
      answerStatus(grpcFailureOf(error), done);
    }
  }

  #emit(call: ServerUnaryCall<EmitRequest, { id: string }>, done: sendUnaryData<{ id: string }>): void {
    let stored: Promise<string>;
    try {
      const event = call.request.event;
      const input = readCloudEvent(event, 'event');
      const type = event?.type ?? '';
      if (type === '') throw new InvalidCloudEventError({ field: 'event.type', reason: 'is required' });
      const typeProblem = cloudEventTypeProblem(type);
      if (typeProblem !== undefined) throw new InvalidCloudEventError({ field: 'event.type', reason: typeProblem });
      const id = event?.id ?? '';
      if (id === '') throw new InvalidCloudEventError({ field: 'event.id', reason: 'is required' });
      const timeoutMs = this.#timeoutOf(call, `emit ${type}`);
      stored = this.#options.core.emit(type, input.value, {
        id: cloudEventDedupId(event?.source ?? '', id),
        timeoutMs,
      });
    } catch (error) {
      stored = Promise.reject(error);
    }
    stored.then(
      (id) => done(null, { id }),
      (error: unknown) => answerStatus(grpcFailureOf(error), done),
    );
  }

  #subscribe(call: ServerWritableStream<SubscribeRequest, CloudEventMessage>): void {
    const { transport, codec, cluster, logger } = this.#options;
    const subscriptions: TransportSubscription[] = [];
    const end = (): void => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      this.#subscribers.delete(call);
    };
    try {
      const types = call.request.types ?? [];
      if (types.length === 0) throw new InvalidRequestError({ field: 'types', reason: 'name at least one event type' });
      const accept = call.request.accept ?? '';
      const format = accept === '' ? PayloadFormat.Json : formatOfMediaType(accept);
      if (format === undefined) {
        throw new InvalidRequestError({ field: 'accept', reason: `'${accept}' is not JSON or msgpack` });
      }
      // A dotted type is followed under its event type name (the one subject both spellings are stored on).
      const subjects = types.map((type) => {
        const problem = eventTypeProblem(type);
        if (problem !== undefined) throw new InvalidRequestError({ field: 'types', reason: problem });
        return eventSubject(cluster, type);
      });
      const deliver = (frame: Uint8Array): void => {
        if (call.writableEnded) return;
        const envelope = codec.decode(frame);
        if (envelope.kind !== EnvelopeKind.Event) return;
        // A subscriber that does not read its stream must not grow the node's memory without bound.
        if (call.writableLength >= SUBSCRIBER_BACKLOG_LIMIT) {
          const details = `more than ${SUBSCRIBER_BACKLOG_LIMIT} events unread: read the stream faster`;
          end();
          call.emit('error', { code: status.RESOURCE_EXHAUSTED, details });
          return;
        }
        call.write(cloudEventOfEnvelope(envelope, cluster, format));
      };
      const onError = (error: unknown, subject: string): void =>
        logger.warn({ err: error, subject }, 'gateway.subscribe_event_dropped');
      for (const subject of subjects) subscriptions.push(transport.subscribe(subject, deliver, { onError }));
      this.#subscribers.add(call);
      call.on('cancelled', end);
      call.on('close', end);
    } catch (error) {
      end();
      emitFailure(call, grpcFailureOf(error));
      return;
    }
    // The response headers say "subscribed": sent once the server knows the subscriptions, so an event stored
    // after the caller saw them is streamed.
    transport.flush().then(
      () => call.sendMetadata(new Metadata()),
      (error: unknown) => {
        end();
        emitFailure(call, grpcFailureOf(error));
      },
    );
  }

  /** The Lucent timeout of `call` from its gRPC deadline; throws `TimeoutError` when it has already passed. */
  #timeoutOf(call: ServerUnaryCall<unknown, unknown>, target: string): number {
    const { core, clock } = this.#options;
    const timeoutMs = timeoutForDeadline(call.getDeadline(), clock.wallNow(), core.defaultTimeoutMs);
    if (timeoutMs === 0) throw new TimeoutError({ target, timeoutMs: 0 });
    return timeoutMs;
  }
}

/**
 * The actor key, message and reply format of an Ask or Tell. The message is the event's data; data without a
 * string `type` takes the CloudEvent's `type` (so `{ type: 'inc' }` can be sent as an event of type `inc` with no
 * data). Throws `InvalidRequestError`.
 */
function actorMessageOf(request: ActorRequest): { key: string; message: unknown; format: PayloadFormat } {
  const type = request.type ?? '';
  const id = request.id ?? '';
  if (type === '' || type.includes('/')) {
    throw new InvalidRequestError({ field: 'type', reason: 'is required and must not contain /' });
  }
  if (id === '') throw new InvalidRequestError({ field: 'id', reason: 'is required' });
  const input = readCloudEvent(request.event, 'event');
  const eventType = request.event?.type ?? '';
  let message = input.value;
  if (message === undefined && eventType !== '') message = { type: eventType };
  else if (isPlainObject(message) && typeof message.type !== 'string' && eventType !== '') {
    message = { ...message, type: eventType };
  }
  return { key: actorKey(type, id), message, format: input.reply };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Answers an ExecuteFunction or Ask with its result, its `error`, or a status. */
function answerResult(result: Promise<unknown>, format: PayloadFormat, done: sendUnaryData<ResultResponse>): void {
  result
    .then((value) => done(null, { data: encodePayload(value, format), datacontenttype: mediaTypeOf(format) }))
    .catch((error: unknown) => {
      const failure = grpcFailureOf(error);
      if (failure.type === 'result') {
        done(null, { error: failure.message, datacontenttype: '' }, codeTrailer(failure.code));
        return;
      }
      answerStatus(failure, done);
    });
}

function answerStatus(failure: GrpcFailure, done: sendUnaryData<never>): void {
  const code = failure.type === 'status' ? failure.status : status.UNKNOWN;
  const details = failure.type === 'status' ? failure.details : failure.message;
  done({ code, details, metadata: codeTrailer(failure.code) });
}

function emitFailure(call: ServerWritableStream<unknown, unknown>, failure: GrpcFailure): void {
  const code = failure.type === 'status' ? failure.status : status.UNKNOWN;
  const details = failure.type === 'status' ? failure.details : failure.message;
  call.emit('error', { code, details, metadata: codeTrailer(failure.code) });
}

function codeTrailer(code: string): Metadata {
  const metadata = new Metadata();
  metadata.set(LUCENT_CODE_TRAILER, code);
  return metadata;
}
