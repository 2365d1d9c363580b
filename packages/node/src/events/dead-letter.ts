/**
 * The dead-letter record: what the dead-letter stream keeps about an event a handler never completed. Pure:
 * the record, its encoding (JSON, the original message as base64) and its decoding.
 */
import { DecodeError, type Envelope, type EnvelopeCodec } from '@lucent/core/internal';
import { decodeEventMessage } from './event-message.js';

/** Error code of a dead letter whose last delivery got no answer (its node died or hung). */
export const DELIVERY_EXHAUSTED_CODE = 'LUCENT_DELIVERY_EXHAUSTED';

/**
 * What a consumer dead-letters when the server reports that stored message `original` ran out of its
 * `deliveries` without an answer: its event id ('' when it does not decode) and the error. Pure; never throws.
 */
export function exhaustedDelivery(
  original: Uint8Array,
  deliveries: number,
  codec: EnvelopeCodec,
): { readonly eventId: string; readonly error: DeadLetterError } {
  let eventId = '';
  try {
    eventId = decodeEventMessage(original, codec)[0]?.id ?? '';
  } catch {
    // Undecodable: dead-lettered without an id.
  }
  const message = `no answer to delivery ${deliveries} within the ack wait (its node died or hung)`;
  return { eventId, error: { code: DELIVERY_EXHAUSTED_CODE, message } };
}

/** Why a delivery was dead-lettered, as the handler's error data. */
export interface DeadLetterError {
  readonly code: string;
  readonly message: string;
}

/** What is stored per dead letter. */
export interface DeadLetterRecord {
  /** The durable consumer (`<fn>--<type>`). */
  readonly consumer: string;
  readonly functionName: string;
  readonly eventType: string;
  /** The event's id (`Envelope.id`), '' when the message did not decode. */
  readonly eventId: string;
  /** Deliveries made, the failed last one included. */
  readonly attempts: number;
  readonly error: DeadLetterError;
  /** Epoch ms when it was dead-lettered. */
  readonly failedAt: number;
  /** The node that dead-lettered it. */
  readonly node: string;
  /** The message's sequence in the event stream. */
  readonly streamSequence: number;
  /** The stored event message, as it was (a transport wire message). */
  readonly original: Uint8Array;
}

/** A dead letter as the client API returns it: the record, its id, and the original event decoded. */
export interface DeadLetter extends DeadLetterRecord {
  /** Its sequence in the dead-letter stream: the id `replay` and `list` use. */
  readonly id: number;
  /** The original event envelope, or `undefined` when it does not decode. */
  readonly event: Envelope | undefined;
}

/** The deduplication id of a dead letter: one per consumer and stream message, however often it is retried. */
export function deadLetterMsgId(consumer: string, streamSequence: number): string {
  return `dlq:${consumer}:${streamSequence}`;
}

/** Encodes a record (JSON, UTF-8). */
export function encodeDeadLetter(record: DeadLetterRecord): Uint8Array {
  const json = { ...record, original: Buffer.from(record.original).toString('base64') };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Decodes a record; throws `DecodeError` for anything {@link encodeDeadLetter} did not make. */
export function decodeDeadLetter(bytes: Uint8Array): DeadLetterRecord {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw new DecodeError({ reason: 'dead letter: not JSON', byteLength: bytes.byteLength }, { cause: error });
  }
  const error = value.error as Record<string, unknown> | undefined;
  const valid =
    typeof value.consumer === 'string' &&
    typeof value.functionName === 'string' &&
    typeof value.eventType === 'string' &&
    typeof value.eventId === 'string' &&
    typeof value.attempts === 'number' &&
    typeof value.failedAt === 'number' &&
    typeof value.node === 'string' &&
    typeof value.streamSequence === 'number' &&
    typeof value.original === 'string' &&
    typeof error?.code === 'string' &&
    typeof error.message === 'string';
  if (!valid) throw new DecodeError({ reason: 'dead letter: missing fields', byteLength: bytes.byteLength });
  return {
    consumer: value.consumer as string,
    functionName: value.functionName as string,
    eventType: value.eventType as string,
    eventId: value.eventId as string,
    attempts: value.attempts as number,
    error: { code: error!.code as string, message: error!.message as string },
    failedAt: value.failedAt as number,
    node: value.node as string,
    streamSequence: value.streamSequence as number,
    original: new Uint8Array(Buffer.from(value.original as string, 'base64')),
  };
}

/** A {@link DeadLetter} for a stored record. */
export function toDeadLetter(id: number, record: DeadLetterRecord, codec: EnvelopeCodec): DeadLetter {
  let event: Envelope | undefined;
  try {
    event = decodeEventMessage(record.original, codec)[0];
  } catch {
    event = undefined;
  }
  return { ...record, id, event };
}
