/**
 * The request side of a pool call's context: what travels to the worker for `ctx` (correlation, causation, trace,
 * metadata), and the port through which what the function said (log records, emitted events) comes back.
 *
 * ```
 *  request envelope ─► contextEntry ─► task[TASK_CONTEXTS][i] ─► worker ctx
 *  result[RESULT_EFFECTS][i] ─► EffectsSink.settled(request, fn, records, emitted, ok)
 * ```
 * Rules (also `ctx`'s documentation): the correlation id is the caller's or the request's own id; the causation
 * id of a call is the caller-given cause or the call itself, of an event run the event.
 */
import { correlationOf, type EmittedEvent, type Envelope, EnvelopeKind, type LogRecord } from '@lucent/core/internal';
import type { TaskContext } from './protocol.js';

/**
 * Receives what a run said. Called once per settled call that logged or emitted anything, before the call's
 * promise settles; `ok` is false when the call failed (its emitted events must then be dropped). Must not throw.
 */
export interface EffectsSink {
  settled(
    request: Envelope,
    fn: string,
    records: LogRecord[] | null,
    emitted: EmittedEvent[] | null,
    ok: boolean,
  ): void;
}

/** The causation id a run of `request` sees (see the module doc). */
export function causationOf(request: Envelope): string {
  if (request.kind === EnvelopeKind.Event) return request.id;
  return request.causationId === '' ? request.id : request.causationId;
}

/** What call `request` ships to the worker: its correlation id alone when that says everything (see protocol.ts). */
export function contextEntry(request: Envelope): string | TaskContext {
  const correlationId = correlationOf(request);
  const causationId = causationOf(request);
  if (causationId === correlationId && request.traceparent === '' && request.metadata === null) return correlationId;
  return [correlationId, causationId, request.traceparent, request.metadata];
}
