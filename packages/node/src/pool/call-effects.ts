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
import {
  CallContext,
  correlationOf,
  type EmittedEvent,
  type Envelope,
  EnvelopeKind,
  type EventDelivery,
  type LogRecord,
  type LogThreshold,
  NO_METADATA,
  type ShardInfo,
} from '@lucent/core/internal';
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

/**
 * The `ctx` of a run of function `name` on this thread (inline or main-thread runs; workers build theirs from
 * {@link contextEntry}): the ids, trace and metadata of `request` (none without one), its attempt, and `event` for
 * an event-triggered run.
 */
export function callContextOf(
  name: string,
  deadline: number,
  request: Envelope | undefined,
  event: EventDelivery | undefined,
  shard: ShardInfo,
  threshold: LogThreshold,
): CallContext {
  if (request === undefined)
    return new CallContext(name, 1, deadline, '', '', '', NO_METADATA, shard, event, threshold);
  return new CallContext(
    name,
    request.attempt ?? 1,
    deadline,
    correlationOf(request),
    causationOf(request),
    request.traceparent,
    request.metadata ?? NO_METADATA,
    shard,
    event,
    threshold,
  );
}

/** What call `request` ships to the worker: its correlation id alone when that says everything (see protocol.ts). */
export function contextEntry(request: Envelope): string | TaskContext {
  const correlationId = correlationOf(request);
  const causationId = causationOf(request);
  if (causationId === correlationId && request.traceparent === '' && request.metadata === null) return correlationId;
  return [correlationId, causationId, request.traceparent, request.metadata];
}
