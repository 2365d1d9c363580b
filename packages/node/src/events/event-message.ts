/**
 * The stored form of an event: a transport wire message (`frames.ts`) with one `Send` frame holding the encoded
 * envelope. A JetStream publish is also a NATS publish, so plain subscribers of an event subject (tools, tests,
 * the framed transport) read stored events like any other message.
 */
import type { Envelope, EnvelopeCodec } from '@lucent/core/internal';
import { encodeFrames, FrameKind, readFrames } from '../transport/frames.js';

/** One event envelope as a stored message. Throws `EncodeError` for a payload the codec cannot encode. */
export function encodeEventMessage(envelope: Envelope, codec: EnvelopeCodec): Uint8Array {
  return encodeFrames([{ kind: FrameKind.Send, id: 0, payload: codec.encode(envelope) }]);
}

/**
 * The event envelopes in a stored message (one, unless a batch of core publishes was captured), decoded.
 * Throws `DecodeError` when the message is not a transport wire message or a frame is not an envelope.
 */
export function decodeEventMessage(message: Uint8Array, codec: EnvelopeCodec): Envelope[] {
  const out: Envelope[] = [];
  readFrames(message, { onFrame: (_kind, _id, payload) => out.push(codec.decode(payload)) });
  return out;
}
