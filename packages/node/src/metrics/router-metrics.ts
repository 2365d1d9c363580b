/**
 * The bridge from the router's {@link RouterObserver} hooks to the node's metrics and logs:
 *
 * ```
 *  forwarded                 ─► lucent_forwards_total
 *  completed(Call, fn, code) ─► lucent_calls_total{function, outcome} + duration (+ errors_total{code})
 *  completed(other, code≠'') ─► lucent_errors_total{code}
 *  dropped                   ─► lucent_errors_total{code} + a warn log (nobody else will hear of it)
 *  decodeFailed              ─► lucent_errors_total{LUCENT_DECODE}
 * ```
 * Calls of unknown functions count only as errors. Function metrics are bound once per call target (`name` or `name@version`, both counted under `name`), so
 * after the first call of a target a completion is one Map hit and two increments.
 */
import { type DecodeError, EnvelopeKind, type LucentError, UnknownFunctionError } from '@lucent/core/internal';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import type { Logger } from '../logging.js';
import type { RouterObserver } from '../router/router-observer.js';
import type { FunctionCallMetrics, NodeMetrics } from './node-metrics.js';

/** A {@link RouterObserver} that records into `metrics` and logs one-way failures on `logger`. */
export class RouterMetricsObserver implements RouterObserver {
  readonly #metrics: NodeMetrics;
  readonly #logger: Logger;
  readonly #functions = new Map<string, FunctionCallMetrics>();
  readonly #logThrottle: LogThrottle;

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

  completed(kind: EnvelopeKind, target: string, durationMs: number, code: string): void {
    // An unknown name gets no series of its own: any sender could otherwise grow the label set without bound.
    if (kind === EnvelopeKind.Call && code !== UnknownFunctionError.code) {
      const metrics = this.#forFunction(target);
      if (code === '') metrics.succeeded(durationMs / 1000);
      else metrics.failed(code, durationMs / 1000);
      return;
    }
    if (code !== '') this.#metrics.error(code);
  }

  dropped(kind: EnvelopeKind, target: string, error: LucentError): void {
    this.#metrics.error(error.code);
    // Senders decide how many of these happen: rate-limited per code (metrics count every one).
    const suppressed = this.#logThrottle.admit(error.code);
    if (suppressed === SUPPRESS) return;
    this.#logger.warn({ err: error, kind, target, suppressed }, 'request.dropped');
  }

  decodeFailed(error: DecodeError): void {
    this.#metrics.error(error.code);
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
