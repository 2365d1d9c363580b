/**
 * The membership wire messages: heartbeat, leave and probe. Each travels as one control envelope
 * (`EnvelopeKind.Control`) through the shared {@link EnvelopeCodec}, so it is msgpack on the wire like every
 * other message, never JSON. All three go on one subject per cluster (`membershipSubject`), which keeps one
 * sender's heartbeats and its final leave in order.
 *
 * ```
 *  heartbeat  { type: 1, node, incarnation, tags, weight, load, modules }
 *                                                                  every heartbeatIntervalMs, and to answer a probe
 *  leave      { type: 2, node, incarnation }                       once, on graceful stop
 *  probe      { type: 3, from }                                    once, at start: "everyone, heartbeat now"
 * ```
 *
 * `incarnation` tells two runs of one node id apart (a restart). Payloads come from other processes, so
 * decoding checks every field and builds fresh objects instead of trusting the decoded shape.
 */
import { controlEnvelope, type EnvelopeCodec, type LoadReport } from '@lucent/core/internal';
import { PayloadReader } from '../transport/payload-reader.js';

/** Message types, as small integers (one byte on the wire). */
export const MembershipMessageType = {
  Heartbeat: 1,
  Leave: 2,
  Probe: 3,
} as const;

export type MembershipMessageType = (typeof MembershipMessageType)[keyof typeof MembershipMessageType];

/** "I am alive, with these tags, ring weight and load." */
export interface HeartbeatMessage {
  readonly type: typeof MembershipMessageType.Heartbeat;
  readonly node: string;
  /** Distinguishes runs of the same node id; a later run has a larger incarnation. */
  readonly incarnation: number;
  readonly tags: readonly string[];
  /** Share of the hash ring (positive, finite). */
  readonly weight: number;
  readonly load: LoadReport;
  /**
   * The functions (`fn:<name>@<version>`) and actor types (`actor:<type>`) this member hosts, sorted; a joining
   * node compares them with its own (`join-check.ts`). Absent (or empty) from a member that hosts nothing.
   */
  readonly modules?: readonly string[];
}

/** "I am leaving on purpose": others drop the member at once instead of waiting for the dead-after window. */
export interface LeaveMessage {
  readonly type: typeof MembershipMessageType.Leave;
  readonly node: string;
  readonly incarnation: number;
}

/** "Whoever is there, heartbeat now": sent at start so a newcomer sees the cluster within a round trip. */
export interface ProbeMessage {
  readonly type: typeof MembershipMessageType.Probe;
  /** The asking node's id, or `''` for an observer (client). */
  readonly from: string;
}

/** Every membership message, discriminated on `type`. */
export type MembershipMessage = HeartbeatMessage | LeaveMessage | ProbeMessage;

/** Envelope target of membership messages (informational: the subject already says what they are). */
const TARGET = 'membership';

/**
 * Encodes `message` as one control envelope. Throws `EncodeError` when a field cannot be encoded. The bytes
 * are a view into the codec's output buffer: hand them to `Transport.send` (which copies) or copy them.
 */
export function encodeMembershipMessage(codec: EnvelopeCodec, message: MembershipMessage): Uint8Array {
  const origin = message.type === MembershipMessageType.Probe ? message.from : message.node;
  return codec.encode(controlEnvelope(TARGET, message, { origin }));
}

/**
 * Decodes one membership message. Throws `DecodeError` (and nothing else) for bytes that are not an envelope,
 * an envelope of another kind, an unknown message type or any field of the wrong type or range.
 */
export function decodeMembershipMessage(codec: EnvelopeCodec, bytes: Uint8Array): MembershipMessage {
  const read = new PayloadReader('membership message', bytes);
  const p = read.controlPayload(codec);
  switch (p.type) {
    case MembershipMessageType.Heartbeat:
      return {
        type: MembershipMessageType.Heartbeat,
        node: read.nonEmptyString(p.node, 'node'),
        incarnation: read.nonNegative(p.incarnation, 'incarnation'),
        tags: read.strings(p.tags, 'tags'),
        weight: read.positive(p.weight, 'weight'),
        load: readLoad(read, read.object(p.load, 'load')),
        modules: p.modules === undefined ? NO_MODULES : read.strings(p.modules, 'modules'),
      };
    case MembershipMessageType.Leave:
      return {
        type: MembershipMessageType.Leave,
        node: read.nonEmptyString(p.node, 'node'),
        incarnation: read.nonNegative(p.incarnation, 'incarnation'),
      };
    case MembershipMessageType.Probe:
      return { type: MembershipMessageType.Probe, from: read.string(p.from, 'from') };
    default:
      return read.invalid('unknown membership message type');
  }
}

const NO_MODULES: readonly string[] = Object.freeze([]);

/** A fresh load in one property order: one hidden class for every member's load. */
function readLoad(read: PayloadReader, l: Record<string, unknown>): LoadReport {
  return Object.freeze({
    cpu: read.nonNegative(l.cpu, 'load.cpu'),
    memory: read.nonNegative(l.memory, 'load.memory'),
    activeFunctions: read.nonNegative(l.activeFunctions, 'load.activeFunctions'),
    maxFunctions: read.nonNegative(l.maxFunctions, 'load.maxFunctions'),
    queueDepth: read.nonNegative(l.queueDepth, 'load.queueDepth'),
    maxQueue: read.nonNegative(l.maxQueue, 'load.maxQueue'),
    ...(l.score === undefined ? {} : { score: read.nonNegative(l.score, 'load.score') }),
    ...(l.degraded === undefined ? {} : { degraded: read.strings(l.degraded, 'load.degraded') }),
  });
}

/**
 * A frozen copy of `report` that every receiver's {@link decodeMembershipMessage} accepts: a NaN, infinite or
 * negative field would make the heartbeat fail to decode elsewhere, and the sender would silently die in
 * everyone's view. Negative numbers become 0; missing or non-finite fractions (cpu, memory) count as fully
 * busy (1), missing or non-finite counts as 0.
 */
export function wireSafeLoad(report: LoadReport | undefined): LoadReport {
  return Object.freeze({
    cpu: sane(report?.cpu, 1),
    memory: sane(report?.memory, 1),
    activeFunctions: sane(report?.activeFunctions, 0),
    maxFunctions: sane(report?.maxFunctions, 0),
    queueDepth: sane(report?.queueDepth, 0),
    maxQueue: sane(report?.maxQueue, 0),
    ...(report?.score === undefined ? {} : { score: sane(report.score, 1) }),
    ...(report?.degraded === undefined ? {} : { degraded: report.degraded.filter((name) => typeof name === 'string') }),
  });
}

function sane(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : fallback;
}
