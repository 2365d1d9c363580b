/**
 * Counts and warns about event types that no function in the cluster handles, for both ways an event enters the
 * log: a node publishing what its functions `ctx.emit` (`event-publisher.ts`) and a client's `client.emit`
 * (`client-core.ts`), which writes to the log directly and never passes through a node.
 *
 * ```
 *  check(type) ─ handled types known and fresh ─► has(type)? ─ no ─► lucent_events_unhandled_total{type} + 1
 *              │                                                    └► warn `event.unhandled` (once per type per window)
 *              └ stale (> HANDLED_TYPES_REFRESH_MS) ─► one refresh from the consumers' names, then the same
 * ```
 * Which types are handled is read from the durable consumers' names (`<fn>--<type>`, one per handler and type,
 * cluster-wide), at most once per {@link HANDLED_TYPES_REFRESH_MS}. The check never holds up the publish: a fresh
 * set answers synchronously, and a stale one is refreshed once for all the checks waiting on it. While the log
 * cannot list its consumers, nothing is counted (an unreachable log is reported by the publish itself).
 */
import type { Clock } from '@lucent/core/internal';
import type { Registry } from 'prom-client';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import { CounterFamily } from '../metrics/metric-families.js';
import type { EventLog } from './event-log.js';

/** How stale the set of handled event types may be. */
export const HANDLED_TYPES_REFRESH_MS = 5_000;
/** One `event.unhandled` warning per type per this window. */
export const UNHANDLED_WARN_WINDOW_MS = 10 * 60_000;

/** Where the warning goes: pino's `warn(obj, msg)` shape. */
export interface UnhandledWarnSink {
  warn(fields: { type: string; suppressed: number }, msg: 'event.unhandled'): void;
}

/** Options of {@link UnhandledEventTypes}. */
export interface UnhandledEventTypesOptions {
  readonly clock: Clock;
  /** The cluster's event log, opened on first use. */
  readonly eventLog: () => Promise<EventLog>;
  readonly logger: UnhandledWarnSink;
  /** `# HELP` of the counter: who counts (a node, a client). */
  readonly help: string;
  /** Where `lucent_events_unhandled_total` is registered (prom-client `Registry`); none: counted, not exported. */
  readonly registry?: Registry | undefined;
}

/** See the module doc. One per node or client. */
export class UnhandledEventTypes {
  readonly #options: UnhandledEventTypesOptions;
  readonly #counter: CounterFamily;
  readonly #warned: LogThrottle;
  #handled: ReadonlySet<string> | undefined = undefined;
  #handledAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined = undefined;

  constructor(options: UnhandledEventTypesOptions) {
    this.#options = options;
    this.#counter = new CounterFamily('lucent_events_unhandled_total', options.help, ['type']);
    if (options.registry !== undefined) this.#counter.register(options.registry);
    this.#warned = new LogThrottle({ limit: 1, windowMs: UNHANDLED_WARN_WINDOW_MS, clock: options.clock });
  }

  /** Times `type` was found unhandled (for tests and tools). */
  count(type: string): number {
    return this.#counter.bind([type]).value;
  }

  /**
   * Counts (and warns once per window) when no function handles `type`. Resolves once checked, at once when the
   * handled set is fresh; never rejects.
   */
  check(type: string): Promise<void> | undefined {
    const now = this.#options.clock.now();
    if (this.#handled !== undefined && now - this.#handledAt < HANDLED_TYPES_REFRESH_MS) {
      this.#judge(type);
      return undefined;
    }
    this.#refreshing ??= this.#refresh(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing.then(() => this.#judge(type));
  }

  #judge(type: string): void {
    if (this.#handled?.has(type) !== false) return;
    this.#counter.bind([type]).inc();
    const suppressed = this.#warned.admit(`unhandled ${type}`);
    if (suppressed === SUPPRESS) return;
    this.#options.logger.warn({ type, suppressed }, 'event.unhandled');
  }

  async #refresh(now: number): Promise<void> {
    try {
      const names = await (await this.#options.eventLog()).consumerNames();
      const types = new Set<string>();
      for (const name of names) {
        const sep = name.indexOf('--');
        if (sep > 0) types.add(name.slice(sep + 2));
      }
      this.#handled = types;
      this.#handledAt = now;
    } catch {
      // Unknown this time: not counted as unhandled (the publish reports an unreachable log itself).
    }
  }
}
