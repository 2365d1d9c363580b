/**
 * The W3C Trace Context `traceparent` header (version 00) as the envelope carries it:
 *
 * ```
 *  00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *  ── ─────────── trace id ──────────── ── span id ───── flags (01 = sampled)
 * ```
 * OpenTelemetry's API has no propagator of its own (the SDK registers one), and the envelope field is W3C by
 * definition, so the two conversions live here: a few string operations, run only when a trace is present.
 */
import { isSpanContextValid, type SpanContext, TraceFlags } from '@opentelemetry/api';

// Version 00 is exactly this; later versions may append fields after the flags (`-...`), which we ignore.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The `traceparent` of `spanContext`; `''` when it is not a valid context (all-zero ids). */
export function formatTraceparent(spanContext: SpanContext): string {
  if (!isSpanContextValid(spanContext)) return '';
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${sampled ? '01' : '00'}`;
}

/**
 * The remote span context `traceparent` names, or `undefined` for `''` and for anything that is not a valid
 * W3C value (wrong layout, version `ff`, all-zero ids): a bad header starts a new trace rather than failing
 * the request, as the W3C recommendation says.
 */
export function parseTraceparent(traceparent: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}
