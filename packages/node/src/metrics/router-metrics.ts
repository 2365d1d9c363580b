/**
 * The bridge from the router's {@link RouterObserver} hooks to the node's metrics and logs:
 *
 * ```
 *  forwarded                   ─► lucent_forwards_total
 *  completed(Call, fn, code)   ─► lucent_calls_total{function, outcome} + duration (+ errors_total{code})
 *                                 + a warn log `call.failed` on failure (function, code, correlation id, duration)
 *  completed(Ask|Tell, code)   ─► lucent_actor_messages_total{type, outcome} (+ errors_total{code})
 *  completed(Event, fn)        ─► lucent_event_handler_runs_total{function, ok}
 *  completed(other, code≠'')   ─► lucent_errors_total{code}
 *  completed(any), level debug ─► a debug log `request.served` (kind, target, code, correlation id, trace_id)
 *  dropped                     ─► lucent_errors_total{code} (+ actor / handler outcome) + a warn log
 *  decodeFailed                ─► lucent_errors_total{LUCENT_DECODE}
 *  eventReceived(type, n)      ─► lucent_events_total{type, dispatched | unhandled}
 * ```
 * Calls of unknown functions and messages to unknown actor types count only as errors (senders choose those
 * names). Function metrics are bound once per call target (`name` or `name@version`, both counted under `name`),
 * so after the first call of a target a completion is one Map hit and two increments. Warn logs are rate-limited
 * per function and code (`LogThrottle`); metrics count every failure.
 */
import {
  actorTargetSeparator,
  type DecodeError,
  EnvelopeKind,
  envelopeKindName,
  type LucentError,
  UnknownActorTypeError,
  UnknownFunctionError,
} from '@lucent/core/internal';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import type { Logger } from '../logging.js';
import type { RouterObserver } from '../router/router-observer.js';
import type { FunctionCallMetrics, NodeMetrics, OutcomeCounters } from './node-metrics.js';

/** A {@link RouterObserver} that records into `metrics` and logs one-way failures on `logger`. */
export class RouterMetricsObserver implements RouterObserver {
  readonly #metrics: NodeMetrics;
  readonly #logger: Logger;
  readonly #functions = new Map<string, FunctionCallMetrics>();
  readonly #logThrottle: LogThrottle;
  #lastActorType = '';
  #lastActorCounters: OutcomeCounters | undefined = undefined;

  constructor(metrics: NodeMetrics, logger: Logger, logThrottle: LogThrottle = new LogThrottle()) {
    this.#metrics = metrics;
    this.#logger = logger;
    this.#logThrottle = logThrottle;
  }

  /**
   * Binds the metrics of `names` now, so their series are listed (at 0) before their first call. Idempotent:
   * a name bound already keeps its binding.
   */
  bindFunctions(names: Iterable<string>): void {
    for (const name of names) this.#forFunction(name);
  }

  forwarded(): void {
    this.#metrics.forwarded();
  }

  retried(target: string, reason: string): void {
    // Counted under the function's name only for functions served here (senders choose the target).
    const at = target.indexOf('@');
    this.#metrics.retried(at < 0 ? target : target.slice(0, at), reason);
  }

  completed(
    kind: EnvelopeKind,
    target: string,
    durationMs: number,
    code: string,
    correlationId = '',
    traceId = '',
  ): void {
    if (this.#logger.isLevelEnabled('debug')) this.#served(kind, target, durationMs, code, correlationId, traceId);
    // An unknown name gets no series of its own: any sender could otherwise grow the label set without bound.
    if (kind === EnvelopeKind.Call && code !== UnknownFunctionError.code) {
      const metrics = this.#forFunction(target);
      if (code === '') metrics.succeeded(durationMs / 1000);
      else {
        metrics.failed(code, durationMs / 1000);
        this.#callFailed(target, code, correlationId, durationMs, traceId);
      }
      return;
    }
    if (kind === EnvelopeKind.Ask || kind === EnvelopeKind.Tell) this.#actorMessage(target, code);
    else if (kind === EnvelopeKind.Event) this.#metrics.forEventHandler(target).record(code);
    if (code !== '') this.#metrics.error(code);
  }

  eventReceived(type: string, handlers: number): void {
    this.#metrics.eventReceived(type, handlers > 0 ? 'dispatched' : 'unhandled');
  }

  dropped(kind: EnvelopeKind, target: string, error: LucentError): void {
    this.#metrics.error(error.code);
    if (kind === EnvelopeKind.Tell) this.#actorMessage(target, error.code);
    else if (kind === EnvelopeKind.Event && error.code !== UnknownFunctionError.code) {
      const slash = target.indexOf('/');
      this.#metrics.forEventHandler(slash < 0 ? target : target.slice(slash + 1)).record(error.code);
    }
    // Senders decide how many of these happen: rate-limited per code (metrics count every one).
    const suppressed = this.#logThrottle.admit(error.code);
    if (suppressed === SUPPRESS) return;
    this.#logger.warn({ err: error, kind, target, suppressed }, 'request.dropped');
  }

  decodeFailed(error: DecodeError): void {
    this.#metrics.error(error.code);
  }

  /** A failed call is the user's code failing (or timing out): worth a line, but not one per call in a storm. */
  #callFailed(target: string, code: string, correlationId: string, durationMs: number, traceId: string): void {
    const at = target.indexOf('@');
    const name = at < 0 ? target : target.slice(0, at);
    const suppressed = this.#logThrottle.admit(`call.failed\u0000${name}\u0000${code}`);
    if (suppressed === SUPPRESS) return;
    const fields = { function: name, code, correlationId, durationMs: roundMs(durationMs), suppressed };
    this.#logger.warn(traceId === '' ? fields : { ...fields, trace_id: traceId }, 'call.failed');
  }

  /** One debug line per request served (only at level debug): what ran, how it ended, and its trace. */
  #served(
    kind: EnvelopeKind,
    target: string,
    durationMs: number,
    code: string,
    correlationId: string,
    traceId: string,
  ) {
    const fields = { kind: envelopeKindName(kind), target, code, correlationId, durationMs: roundMs(durationMs) };
    this.#logger.debug(traceId === '' ? fields : { ...fields, trace_id: traceId }, 'request.served');
  }

  #actorMessage(target: string, code: string): void {
    if (code === UnknownActorTypeError.code) return;
    const slash = actorTargetSeparator(target);
    if (slash <= 0) return;
    // Messages of one type come in runs: reuse the last binding without slicing the type out of the target.
    const last = this.#lastActorType;
    if (slash !== last.length || !target.startsWith(last)) {
      this.#lastActorType = target.slice(0, slash);
      this.#lastActorCounters = this.#metrics.forActorType(this.#lastActorType);
    }
    this.#lastActorCounters?.record(code);
  }

  #forFunction(target: string): FunctionCallMetrics {
    let bound = this.#functions.get(target);
    if (bound === undefined) {
      const at = target.indexOf('@');
      bound = this.#metrics.forFunction(at < 0 ? target : target.slice(0, at));
      this.#functions.set(target, bound);
    }
    return bound;
  }
}

/** Milliseconds rounded to the microsecond, for log lines. */
function roundMs(durationMs: number): number {
  return Math.round(durationMs * 1000) / 1000;
}
