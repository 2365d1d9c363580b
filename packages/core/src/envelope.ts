/**
 * The one message type of Lucent. Calls, replies, actor tells and asks, events, errors and control messages
 * are all an {@link Envelope}; only `kind` tells them apart.
 *
 * Every envelope has every field (absent values are `''` or `0`, never a missing key), and the factories below
 * create them with the same property order, so V8 sees one hidden class on every hot path and the codec can
 * encode the header with one fixed msgpack structure (see `codec.ts`).
 */

import type { WireError } from './errors.js';
import { eventTypeName, eventTypeProblem } from './placement/event-type-name.js';

/** Message kinds, as small integers (they are one byte on the wire). 0 is never a valid kind. */
export const EnvelopeKind = {
  /** Request to a stateless function; answered by a reply or an error. */
  Call: 1,
  /** Successful answer; `correlationId` names the request. */
  Reply: 2,
  /** One-way message to an actor. */
  Tell: 3,
  /** Request to an actor; answered by a reply or an error. */
  Ask: 4,
  /** Domain event; `target` is the event type. */
  Event: 5,
  /** Failed answer; `payload` is a {@link WireError}, `correlationId` names the request. */
  Error: 6,
  /** Runtime-internal message between nodes (membership, drain, ...). */
  Control: 7,
  /**
   * Many inputs of one function (`target`) in one request: `payload` is the array of inputs; answered by one
   * reply whose payload is a {@link BatchOutcome} (one value or error per input, in order). `client.gather` sends
   * one per shard.
   */
  Batch: 8,
} as const;

/** One of the {@link EnvelopeKind} values. */
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

const KIND_NAMES: readonly string[] = ['', 'call', 'reply', 'tell', 'ask', 'event', 'error', 'control', 'batch'];

/** True for the integers of {@link EnvelopeKind} (and nothing else: not strings, not 0, not 1.5). */
export function isEnvelopeKind(value: unknown): value is EnvelopeKind {
  return typeof value === 'number' && value >= 1 && value <= 8 && (value | 0) === value;
}

/** Lower-case name of a kind for logs and metrics labels (`'call'`); `'unknown'` for anything else. */
export function envelopeKindName(kind: number): string {
  return isEnvelopeKind(kind) ? (KIND_NAMES[kind] as string) : 'unknown';
}

/**
 * A message. All fields are always present; `''` means "none" for the string fields and `0` for the numbers.
 * `payload` is any msgpack-encodable value (see `codec.ts` for what survives the wire); for kind
 * {@link EnvelopeKind.Error} it is a {@link WireError}.
 */
export interface Envelope<P = unknown> {
  readonly kind: EnvelopeKind;
  /**
   * Unique per request-side message (process prefix + counter, see {@link nextEnvelopeId}). Replies and errors
   * carry `''`: they are identified by `correlationId`, and skipping an id per answer is measurably cheaper.
   */
  readonly id: string;
  /** Function name, `type/id` of an actor, event type, or node id; for replies and errors the requester's node. */
  readonly target: string;
  /**
   * For replies and errors: the `id` of the request answered. On requests and events: the conversation's
   * correlation id as the caller chose it, or `''` when the conversation starts here (its correlation id is then
   * this envelope's `id`; see {@link correlationOf}).
   */
  readonly correlationId: string;
  /** Absolute epoch milliseconds after which the answer is useless; `0` for no deadline. */
  readonly deadline: number;
  /** How many times the message was forwarded between nodes (for the hop limit). */
  readonly hops: number;
  /** W3C `traceparent` header value; `''` when not traced. */
  readonly traceparent: string;
  /** Id of the node that sent the message; `''` when unknown (e.g. a client). */
  readonly origin: string;
  /** Id of the message that caused this one (an event emitted by a call names the call); `''` when none. */
  readonly causationId: string;
  /** Caller-supplied string key/values carried to the function's `ctx.metadata`; `null` when none. */
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly payload: P;
  /**
   * The only optional field: a client's retry of a call carries its attempt number (2, 3, ...), which the
   * function sees as `ctx.attempt`. Absent on a first attempt, so the common envelope keeps its shape and bytes
   * (a retry is written with a second record structure, {@link ENVELOPE_RETRY_FIELDS}). Read it with
   * {@link attemptOf}.
   */
  readonly attempt?: number;
}

/** The attempt number of a request: its `attempt` when a client retried it, else 1. */
export function attemptOf(envelope: Envelope): number {
  return envelope.attempt ?? 1;
}

/** The correlation id of a request or event: the caller's, or the envelope's own id when it starts a conversation. */
export function correlationOf(envelope: Envelope): string {
  return envelope.correlationId === '' ? envelope.id : envelope.correlationId;
}

/** An envelope of kind error, whose payload is the data form of a Lucent error. */
export type ErrorEnvelope = Envelope<WireError> & { readonly kind: typeof EnvelopeKind.Error };

/**
 * Envelope field names in wire order. The codec's shared msgpack structure is built from this list, so
 * reordering, renaming or adding a field is a wire-format change: do it only with a new structure.
 */
export const ENVELOPE_FIELDS = [
  'kind',
  'id',
  'target',
  'correlationId',
  'deadline',
  'hops',
  'traceparent',
  'origin',
  'causationId',
  'metadata',
  'payload',
] as const;

/**
 * The fields of a retried request: {@link ENVELOPE_FIELDS} and then `attempt`. A second fixed structure (record
 * id 0x41) rather than a field on every envelope: first attempts, nearly all traffic, pay nothing for it.
 */
export const ENVELOPE_RETRY_FIELDS = [...ENVELOPE_FIELDS, 'attempt'] as const;

/** Optional header fields accepted by the factories. Omitted values become `''` / `0` / a fresh id. */
export interface EnvelopeOptions {
  /** Overrides the generated id (tests, retries that must keep their id). */
  readonly id?: string;
  readonly deadline?: number;
  readonly traceparent?: string;
  readonly origin?: string;
  /** The conversation's correlation id (default `''`: this envelope starts one). */
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly metadata?: Readonly<Record<string, string>> | null;
  /** A retry's attempt number; 1 (the default) writes no `attempt` field. */
  readonly attempt?: number;
}

// Ids are `<random process prefix>.<counter in base 36>`: a string concat per message instead of a UUID
// (random bytes + formatting). Each worker thread loads its own copy of this module and so draws its own prefix.
// 8 + 1 + up to 6 counter characters keeps an id under 16 characters for its first 2 billion messages, the
// length up to which msgpackr decodes a string on its fast path (node/remote: ~0.1 µs per call and reply).
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const idPrefix = `${randomPrefix()}.`;
let idCounter = 0;

function randomPrefix(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  // 48 random bits as exactly 8 base64url characters: fixed width, so two draws never concatenate alike.
  let prefix = '';
  for (let i = 0; i < 6; i += 3) {
    const word = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    for (let shift = 18; shift >= 0; shift -= 6) prefix += BASE64URL[(word >> shift) & 63];
  }
  return prefix;
}

/** A new message id, unique within this process and, with overwhelming probability, across processes. */
export function nextEnvelopeId(): string {
  idCounter++;
  return idPrefix + idCounter.toString(36);
}

/**
 * Builds a request-side envelope (no `correlationId`) of any kind; the per-kind factories call it. Answers are
 * built with {@link replyEnvelope} / {@link errorEnvelope}. Does not validate: the codec checks fields on encode.
 */
export function createEnvelope<P>(
  kind: EnvelopeKind,
  target: string,
  payload: P,
  options?: EnvelopeOptions,
): Envelope<P> {
  // Keep this literal's property order equal to ENVELOPE_FIELDS: the codec's shared structure depends on it.
  const envelope: Envelope<P> = {
    kind,
    id: options?.id ?? nextEnvelopeId(),
    target,
    correlationId: options?.correlationId ?? '',
    deadline: options?.deadline ?? 0,
    hops: 0,
    traceparent: options?.traceparent ?? '',
    origin: options?.origin ?? '',
    causationId: options?.causationId ?? '',
    metadata: options?.metadata ?? null,
    payload,
  };
  const attempt = options?.attempt;
  // Only a retry gets the extra (last) field: see ENVELOPE_RETRY_FIELDS.
  return attempt === undefined || attempt <= 1 ? envelope : { ...envelope, attempt };
}

/** A call to the function named `fn`. Answered by a reply or an error envelope. */
export function callEnvelope<P>(fn: string, input: P, options?: EnvelopeOptions): Envelope<P> {
  return createEnvelope(EnvelopeKind.Call, fn, input, options);
}

/** A one-way message to the actor `actor` (`type/id`). Nothing answers it. */
export function tellEnvelope<P>(actor: string, message: P, options?: EnvelopeOptions): Envelope<P> {
  return createEnvelope(EnvelopeKind.Tell, actor, message, options);
}

/** A request to the actor `actor` (`type/id`). Answered by a reply or an error envelope. */
export function askEnvelope<P>(actor: string, message: P, options?: EnvelopeOptions): Envelope<P> {
  return createEnvelope(EnvelopeKind.Ask, actor, message, options);
}

/**
 * A domain event of type `eventType`. A dotted type is stored as its event type name (`com.example.created` →
 * `com__example__created`, see `event-type-name.ts`), so handlers, consumers and subjects see one spelling; an
 * invalid type is kept as it is (publishing it fails with `ConfigError`).
 */
export function eventEnvelope<P>(eventType: string, event: P, options?: EnvelopeOptions): Envelope<P> {
  const target =
    eventType.includes('.') && eventTypeProblem(eventType) === undefined ? eventTypeName(eventType) : eventType;
  return createEnvelope(EnvelopeKind.Event, target, event, options);
}

/** Many inputs of function `fn` in one request (see {@link EnvelopeKind.Batch}). */
export function batchEnvelope(fn: string, inputs: readonly unknown[], options?: EnvelopeOptions): Envelope {
  return createEnvelope(EnvelopeKind.Batch, fn, inputs, options);
}

/**
 * The reply payload of a batch: `values[i]` is input `i`'s result, and `errors` is `null` when every input
 * succeeded, else one `WireError | null` per input.
 */
export interface BatchOutcome {
  readonly values: unknown[];
  readonly errors: (WireError | null)[] | null;
}

/** A runtime-internal message to `target` (a node id or subject). */
export function controlEnvelope<P>(target: string, command: P, options?: EnvelopeOptions): Envelope<P> {
  return createEnvelope(EnvelopeKind.Control, target, command, options);
}

/**
 * The successful answer to `request`: addressed to the requester's node, correlated by the request id, and in
 * the same trace. `origin` is the answering node. Has no deadline of its own.
 */
export function replyEnvelope<P>(request: Envelope, value: P, origin = ''): Envelope<P> {
  return answerTo(EnvelopeKind.Reply, request, value, origin);
}

/** The failed answer to `request` (see {@link replyEnvelope}); build `error` with `toLucentError(thrown, target).toWire(origin)`. */
export function errorEnvelope(request: Envelope, error: WireError, origin = ''): ErrorEnvelope {
  return answerTo(EnvelopeKind.Error, request, error, origin) as ErrorEnvelope;
}

/** The `id` of every reply and error envelope (see {@link Envelope.id}). */
const ANSWER_ID = '';

// Replies are as frequent as requests, so they are built directly rather than through an options object.
function answerTo<P>(kind: EnvelopeKind, request: Envelope, payload: P, origin: string): Envelope<P> {
  return {
    kind,
    id: ANSWER_ID,
    target: request.origin,
    correlationId: request.id,
    deadline: 0,
    hops: 0,
    traceparent: request.traceparent,
    origin,
    causationId: '',
    metadata: null,
    payload,
  };
}

/** A copy of `envelope` with `hops` one higher, for a node that forwards it to the key's owner. */
export function forwardedEnvelope<P>(envelope: Envelope<P>): Envelope<P> {
  const forwarded: Envelope<P> = {
    kind: envelope.kind,
    id: envelope.id,
    target: envelope.target,
    correlationId: envelope.correlationId,
    deadline: envelope.deadline,
    hops: envelope.hops + 1,
    traceparent: envelope.traceparent,
    origin: envelope.origin,
    causationId: envelope.causationId,
    metadata: envelope.metadata,
    payload: envelope.payload,
  };
  return envelope.attempt === undefined ? forwarded : { ...forwarded, attempt: envelope.attempt };
}

/** True when the envelope has a deadline and `nowMs` (epoch ms) is at or past it. */
export function isExpired(envelope: Envelope, nowMs: number): boolean {
  return envelope.deadline !== 0 && nowMs >= envelope.deadline;
}
