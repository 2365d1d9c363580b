/**
 * The envelope's W3C `traceparent` and Lucent's spans with no OpenTelemetry SDK registered: parse and format
 * round trip, bad values start a new trace, and without an SDK nothing is formatted unless a trace came in,
 * which is then passed on unchanged (the node keeps its caller's trace). Request log lines carry `trace_id`.
 */
import { EnvelopeKind, eventEnvelope } from '@lucent/core/internal';
import { INVALID_SPAN_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createNodeLogger } from '../src/logging.js';
import { NodeMetrics } from '../src/metrics/node-metrics.js';
import { RouterMetricsObserver } from '../src/metrics/router-metrics.js';
import {
  startClientSpan,
  startEventRunSpan,
  startRunSpan,
  startServerSpan,
  traceIdOf,
  traceparentOf,
} from '../src/tracing/lucent-spans.js';
import { formatTraceparent, parseTraceparent } from '../src/tracing/traceparent.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const SAMPLED = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('traceparent', () => {
  it('parses a W3C value into a remote span context and formats it back', () => {
    const parsed = parseTraceparent(SAMPLED);
    expect(parsed).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(formatTraceparent(parsed!)).toBe(SAMPLED);
    const unsampled = `00-${TRACE_ID}-${SPAN_ID}-00`;
    expect(formatTraceparent(parseTraceparent(unsampled)!)).toBe(unsampled);
  });

  it('accepts a later version with extra fields, keeping only what version 00 defines', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-03-extra`)).toMatchObject({ traceId: TRACE_ID, traceFlags: 1 });
  });

  it('rejects values that are not a valid trace context', () => {
    for (const bad of [
      '',
      'garbage',
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`, // version 00 has exactly four fields
      `ff-${TRACE_ID}-${SPAN_ID}-01`, // version ff is forbidden
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`, // all-zero trace id
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`, // all-zero span id
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`, // upper case hex
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
    expect(formatTraceparent(INVALID_SPAN_CONTEXT)).toBe('');
  });
});

describe('spans without an OpenTelemetry SDK', () => {
  it('a client operation outside any trace puts no traceparent into its envelope', () => {
    const span = startClientSpan('call', 'echo');
    expect(span.isRecording()).toBe(false);
    expect(traceparentOf(span)).toBe('');
    expect(traceIdOf(span)).toBe('');
  });

  it('an emit given a traceparent passes it on unchanged', () => {
    const span = startClientSpan('emit', 'OrderPlaced', SAMPLED);
    expect(traceparentOf(span, SAMPLED)).toBe(SAMPLED);
    expect(traceparentOf(span)).toBe(SAMPLED);
  });

  it('a served request continues the envelope trace: its run and its Completed event keep the traceparent', () => {
    const event = eventEnvelope('OrderPlaced', {}, { traceparent: SAMPLED });
    const request = startServerSpan(event, 'n1');
    expect(traceIdOf(request)).toBe(TRACE_ID);
    // No second no-op span for the run: the request's stands in.
    expect(startRunSpan(request, 'audit')).toBe(request);
    const run = startEventRunSpan(event, 'audit', 'n1');
    expect(traceparentOf(run, event.traceparent)).toBe(SAMPLED);
  });

  it('a request without a traceparent, or with a bad one, has no trace id', () => {
    expect(traceIdOf(startServerSpan(eventEnvelope('T', {}), 'n1'))).toBe('');
    expect(traceIdOf(startServerSpan(eventEnvelope('T', {}, { traceparent: 'nonsense' }), 'n1'))).toBe('');
  });
});

describe('trace_id on request log lines', () => {
  function observer(level: 'info' | 'debug') {
    const logs: Record<string, unknown>[] = [];
    const logger = createNodeLogger({
      nodeId: 'a',
      level,
      destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    });
    return { logs, observer: new RouterMetricsObserver(new NodeMetrics({ nodeId: 'a' }), logger) };
  }

  it('at debug, one request.served line per request, with trace_id when the request is traced', () => {
    const { logs, observer: o } = observer('debug');
    o.completed(EnvelopeKind.Ask, 'counter/1', 1.5, '', 'id-1', TRACE_ID);
    o.completed(EnvelopeKind.Call, 'echo', 2, '', 'id-2', '');
    expect(logs).toEqual([
      expect.objectContaining({ msg: 'request.served', kind: 'ask', target: 'counter/1', trace_id: TRACE_ID }),
      expect.objectContaining({ msg: 'request.served', kind: 'call', target: 'echo', correlationId: 'id-2' }),
    ]);
    expect(logs[1]).not.toHaveProperty('trace_id');
  });

  it('at info, no per-request line; a failed call warns with its trace_id', () => {
    const { logs, observer: o } = observer('info');
    o.completed(EnvelopeKind.Call, 'echo', 2, '', 'id-1', TRACE_ID);
    o.completed(EnvelopeKind.Call, 'echo', 2, 'LUCENT_HANDLER', 'id-2', TRACE_ID);
    expect(logs).toEqual([expect.objectContaining({ msg: 'call.failed', level: 'warn', trace_id: TRACE_ID })]);
  });
});
