/**
 * Load reports on the wire: one control envelope (msgpack, like heartbeats) on `lucent.<cluster>.metrics.<id>`.
 * Reports come from other processes, so decoding checks every field and builds a fresh object.
 */
import { controlEnvelope, type EnvelopeCodec, type NodeLoadReport } from '@lucent/core/internal';
import { PayloadReader } from '../transport/payload-reader.js';

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

const NONE_DEGRADED: readonly string[] = Object.freeze([]);

/** Decodes one report. Throws `DecodeError` (only) for anything that is not a well-formed report. */
export function decodeLoadReport(codec: EnvelopeCodec, bytes: Uint8Array): NodeLoadReport {
  const read = new PayloadReader('load report', bytes);
  const p = read.controlPayload(codec, TARGET);
  const node = read.nonEmptyString(p.node, 'node');
  for (const field of NUMBER_FIELDS) read.nonNegative(p[field], field);
  const degraded = p.degraded === undefined ? NONE_DEGRADED : read.strings(p.degraded, 'degraded');
  // Fresh object in one property order: one hidden class for every report.
  return Object.freeze({
    node,
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
    degraded,
  });
}
