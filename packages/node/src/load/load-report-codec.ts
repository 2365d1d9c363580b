/**
 * Load reports on the wire: one control envelope (msgpack, like heartbeats) on `lucent.<cluster>.metrics.<id>`.
 * Reports come from other processes, so decoding checks every field and builds a fresh object.
 */
import {
  controlEnvelope,
  DecodeError,
  type EnvelopeCodec,
  EnvelopeKind,
  type NodeLoadReport,
} from '@lucent/core/internal';

const TARGET = 'metrics';

/** Encodes `report`. The bytes view the codec's buffer: hand them to `Transport.send` (which copies). */
export function encodeLoadReport(codec: EnvelopeCodec, report: NodeLoadReport): Uint8Array {
  return codec.encode(controlEnvelope(TARGET, report, { origin: report.node }));
}

const NUMBER_FIELDS = [
  'at',
  'eventLoopUtilization',
  'cpu',
  'poolUtilization',
  'poolQueueDepth',
  'poolThreads',
  'rssBytes',
  'rssLimitBytes',
  'activeActors',
  'callsPerSecond',
  'errorRate',
  'score',
] as const;

/** Decodes one report. Throws `DecodeError` (only) for anything that is not a well-formed report. */
export function decodeLoadReport(codec: EnvelopeCodec, bytes: Uint8Array): NodeLoadReport {
  const invalid = (reason: string): never => {
    throw new DecodeError({ reason: `load report: ${reason}`, byteLength: bytes.byteLength });
  };
  const envelope = codec.decode(bytes);
  if (envelope.kind !== EnvelopeKind.Control || envelope.target !== TARGET) return invalid('not a metrics envelope');
  const p = envelope.payload as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null) return invalid('payload is not an object');
  if (typeof p.node !== 'string' || p.node === '') return invalid('node is not a non-empty string');
  for (const field of NUMBER_FIELDS) {
    const n = p[field];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) invalid(`${field} is not a finite number >= 0`);
  }
  const degraded = p.degraded ?? [];
  if (!Array.isArray(degraded) || degraded.some((name) => typeof name !== 'string')) {
    return invalid('degraded is not an array of function names');
  }
  // Fresh object in one property order: one hidden class for every report.
  return Object.freeze({
    node: p.node,
    at: p.at as number,
    eventLoopUtilization: p.eventLoopUtilization as number,
    cpu: p.cpu as number,
    poolUtilization: p.poolUtilization as number,
    poolQueueDepth: p.poolQueueDepth as number,
    poolThreads: p.poolThreads as number,
    rssBytes: p.rssBytes as number,
    rssLimitBytes: p.rssLimitBytes as number,
    activeActors: p.activeActors as number,
    callsPerSecond: p.callsPerSecond as number,
    errorRate: p.errorRate as number,
    score: p.score as number,
    degraded: Object.freeze([...(degraded as string[])]),
  });
}
