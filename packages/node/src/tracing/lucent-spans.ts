/**
 * Lucent's spans, through OpenTelemetry's API only. Who records them is the application's choice: with no SDK
 * registered every `startSpan` is the API's no-op (a non-recording span that carries its parent's context), and
 * these helpers then do no more than that: no span names or attributes built, no strings formatted, no
 * closures; an incoming `traceparent` is passed on unchanged.
 *
 * ```
 *  client                       node (router)                           node (pool)
 *  call|ask|tell|emit  ──env──►  call|ask|tell <target>  (SERVER, child of the envelope's traceparent)
 *  (CLIENT/PRODUCER span,          └─ run <fn>           (INTERNAL, around the pool call: the function's span)
 *   traceparent into the        event handler runs: run <fn> (CONSUMER, child of the event's traceparent)
 *   envelope)                     └─► <fn>Completed carries the run's traceparent
 * ```
 */

import { type Envelope, EnvelopeKind, envelopeKindName } from '@lucent/core/internal';
import {
  type Context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

// Created once: a proxy that reaches whatever provider is registered globally, also one registered later.
const tracer = trace.getTracer('@lucent/node');

const CLIENT: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT });
const PRODUCER: SpanOptions = Object.freeze({ kind: SpanKind.PRODUCER });
const SERVER: SpanOptions = Object.freeze({ kind: SpanKind.SERVER });
const CONSUMER: SpanOptions = Object.freeze({ kind: SpanKind.CONSUMER });
const INTERNAL: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL });

/** Client operations that get a span. */
export type ClientOperation = 'call' | 'ask' | 'tell' | 'emit';

/**
 * The span of one client operation on `target`: a child of the active context (the caller's span, when an SDK
 * with a context manager is registered), else of `traceparent` when given (an emit that continues a trace).
 * End it with {@link endWhenSettled} or {@link endSpan}.
 */
export function startClientSpan(operation: ClientOperation, target: string, traceparent?: string): Span {
  const options = operation === 'call' || operation === 'ask' ? CLIENT : PRODUCER;
  const span =
    traceparent === undefined || traceparent === ''
      ? tracer.startSpan(operation, options)
      : tracer.startSpan(operation, options, contextOf(traceparent));
  if (span.isRecording()) {
    span.updateName(`${operation} ${target}`);
    span.setAttribute('lucent.target', target);
  }
  return span;
}

/**
 * The span of a request this node serves (a call, an ask or a tell): a child of the envelope's `traceparent`,
 * a new root when it has none. The active context is deliberately not the parent: the request came off the wire.
 */
export function startServerSpan(envelope: Envelope, nodeId: string): Span {
  const span = tracer.startSpan(envelopeKindName(envelope.kind), SERVER, contextOf(envelope.traceparent));
  if (span.isRecording()) describe(span, envelope, nodeId);
  return span;
}

/** The span of one event handler run of function `fn` on this node: a child of the event's `traceparent`. */
export function startEventRunSpan(event: Envelope, fn: string, nodeId: string): Span {
  const span = tracer.startSpan('run', CONSUMER, contextOf(event.traceparent));
  if (span.isRecording()) {
    describe(span, event, nodeId);
    span.updateName(`run ${fn}`);
    span.setAttribute('lucent.function', fn);
  }
  return span;
}

/**
 * The function's span inside `request` (the pool run of function `fn`). When `request` does not record, it
 * stands in for the run (nothing to record, and its context is the one to pass on): no second no-op span.
 */
export function startRunSpan(request: Span, fn: string): Span {
  if (!request.isRecording()) return request;
  const span = tracer.startSpan(`run ${fn}`, INTERNAL, trace.setSpan(ROOT_CONTEXT, request));
  span.setAttribute('lucent.function', fn);
  return span;
}

/**
 * The `traceparent` to put into an envelope sent inside `span`: the span's own when it records, otherwise
 * `passThrough` (the incoming value, `''` when none) unchanged, so an untraced process formats nothing and an
 * SDK-less node keeps its caller's trace.
 * Read it before ending `span`: an ended span no longer records.
 */
export function traceparentOf(span: Span, passThrough = ''): string {
  if (!span.isRecording()) return passThrough === '' ? passThroughOf(span) : passThrough;
  return formatTraceparent(span.spanContext());
}

/** The trace id of `span` for log lines (`trace_id`), `''` when it has none. Allocates nothing. */
export function traceIdOf(span: Span): string {
  const spanContext = span.spanContext();
  return spanContext === INVALID_SPAN_CONTEXT || spanContext.traceId === INVALID_SPAN_CONTEXT.traceId
    ? ''
    : spanContext.traceId;
}

/** Ends `span`, marked as failed with the error's `code` (or message) when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined && span.isRecording()) {
    const code = (error as { code?: unknown }).code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : String(error) });
    if (typeof code === 'string') span.setAttribute('lucent.error_code', code);
  }
  span.end();
}

/**
 * `answer`, with `span` ended when it settles. A span that does not record needs no ending: `answer` itself is
 * returned, so the untraced path adds no promise and no closure.
 */
export function endWhenSettled<T>(span: Span, answer: Promise<T>): Promise<T> {
  if (!span.isRecording()) return answer;
  return answer.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      endSpan(span, error);
      throw error;
    },
  );
}

/**
 * A non-recording span with a valid context is the API's no-op continuing someone else's trace (an active
 * span of the caller's, or a remote parent): pass that context on. The default no-op span has none.
 */
function passThroughOf(span: Span): string {
  const spanContext = span.spanContext();
  return spanContext === INVALID_SPAN_CONTEXT ? '' : formatTraceparent(spanContext);
}

function contextOf(traceparent: string): Context {
  if (traceparent === '') return ROOT_CONTEXT;
  const parent = parseTraceparent(traceparent);
  return parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
}

function describe(span: Span, envelope: Envelope, nodeId: string): void {
  span.updateName(`${envelopeKindName(envelope.kind)} ${envelope.target}`);
  span.setAttribute('lucent.target', envelope.target);
  span.setAttribute('lucent.node', nodeId);
  if (envelope.id !== '') span.setAttribute('lucent.envelope_id', envelope.id);
  if (envelope.hops > 0) span.setAttribute('lucent.hops', envelope.hops);
  if (envelope.kind === EnvelopeKind.Event) span.setAttribute('lucent.event_type', envelope.target);
}
