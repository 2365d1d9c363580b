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
import { controlEnvelope, DecodeError, type EnvelopeCodec, EnvelopeKind, type LoadReport } from '@lucent/core/internal';

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
  const envelope = codec.decode(bytes);
  if (envelope.kind !== EnvelopeKind.Control) return invalid('not a control envelope', bytes);
  const p = envelope.payload as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null) return invalid('payload is not an object', bytes);
  switch (p.type) {
    case MembershipMessageType.Heartbeat: {
      const node = nodeField(p.node, bytes);
      const incarnation = incarnationField(p.incarnation, bytes);
      const weight = p.weight;
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
        return invalid('weight is not a positive finite number', bytes);
      }
      return {
        type: MembershipMessageType.Heartbeat,
        node,
        incarnation,
        tags: tagsField(p.tags, bytes),
        weight,
        load: loadField(p.load, bytes),
        modules: p.modules === undefined ? NO_MODULES : tagsField(p.modules, bytes, 'modules'),
      };
    }
    case MembershipMessageType.Leave:
      return {
        type: MembershipMessageType.Leave,
        node: nodeField(p.node, bytes),
        incarnation: incarnationField(p.incarnation, bytes),
      };
    case MembershipMessageType.Probe:
      if (typeof p.from !== 'string') return invalid('from is not a string', bytes);
      return { type: MembershipMessageType.Probe, from: p.from };
    default:
      return invalid('unknown membership message type', bytes);
  }
}

function invalid(reason: string, bytes: Uint8Array): never {
  throw new DecodeError({ reason: `membership message: ${reason}`, byteLength: bytes.byteLength });
}

function nodeField(value: unknown, bytes: Uint8Array): string {
  if (typeof value !== 'string' || value.length === 0) return invalid('node is not a non-empty string', bytes);
  return value;
}

function incarnationField(value: unknown, bytes: Uint8Array): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    return invalid('incarnation is not a finite non-negative number', bytes);
  }
  return value;
}

const NO_MODULES: readonly string[] = Object.freeze([]);

function tagsField(value: unknown, bytes: Uint8Array, field = 'tags'): readonly string[] {
  if (!Array.isArray(value)) return invalid(`${field} is not an array`, bytes);
  for (const tag of value) if (typeof tag !== 'string') return invalid(`an entry of ${field} is not a string`, bytes);
  return Object.freeze([...(value as string[])]);
}

const LOAD_FIELDS = ['cpu', 'memory', 'activeFunctions', 'maxFunctions', 'queueDepth', 'maxQueue'] as const;

function loadField(value: unknown, bytes: Uint8Array): LoadReport {
  if (typeof value !== 'object' || value === null) return invalid('load is not an object', bytes);
  const l = value as Record<string, unknown>;
  for (const field of LOAD_FIELDS) {
    const n = l[field];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      return invalid(`load.${field} is not a finite non-negative number`, bytes);
    }
  }
  const score = l.score;
  if (score !== undefined && (typeof score !== 'number' || !Number.isFinite(score) || score < 0)) {
    return invalid('load.score is not a finite non-negative number', bytes);
  }
  // Fresh object in one property order: one hidden class for every member's load.
  return Object.freeze({
    cpu: l.cpu as number,
    memory: l.memory as number,
    activeFunctions: l.activeFunctions as number,
    maxFunctions: l.maxFunctions as number,
    queueDepth: l.queueDepth as number,
    maxQueue: l.maxQueue as number,
    ...(score === undefined ? {} : { score }),
    ...(l.degraded === undefined ? {} : { degraded: tagsField(l.degraded, bytes, 'load.degraded') }),
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
