/**
 * Runs the cron schedules of a node's functions: one timer for the node (armed for the earliest next tick of all
 * schedules), and at each tick, for each due schedule this node owns, the fenced firing:
 *
 * ```
 *  timer ─► due schedules ─► owner of 'schedule/<fn>'? ─no─► skip (its owner fires it)
 *                                   │ yes
 *           ledger.load ─► planFiring (pure) ─► ledger.save(last fired, revision) ─ConflictError─► skip (fired)
 *                                                          │ ok
 *                                                 run each planned tick, oldest first
 * ```
 * The ledger (a `StateStore`: the cluster's `lucent-<cluster>-schedules` KV bucket on NATS) holds the last fired
 * tick per schedule. Recording it with a compare-and-set on its revision before running is the fence: of two
 * nodes that both think they own a schedule (views disagree during a failover) only one records a tick, so a tick
 * runs at most once. A node that dies between recording and running loses that one tick (at most once, not at
 * least once). Ticks that passed with no owner alive are judged by the schedule's `missed` policy at the next
 * tick, and at start-up (`start()` runs a catch-up check).
 */
import type { StateStore } from '@lucent/actors/internal';
import {
  type Clock,
  ConflictError,
  type FunctionDefinition,
  nextTickAfter,
  planFiring,
  type TimerHandle,
} from '@lucent/core/internal';

/** The ledger key of a function's schedule; also the ring key that picks the node that fires it. */
export function scheduleKey(functionName: string): string {
  return `schedule/${functionName}`;
}

/** What the ledger stores per schedule. */
interface LedgerEntry {
  readonly lastFiredMs: number;
}

/** Options of {@link CronScheduler}. */
export interface CronSchedulerOptions {
  /** Functions with a `schedule` (others are ignored). */
  readonly functions: readonly FunctionDefinition[];
  readonly ledger: StateStore;
  readonly clock: Clock;
  /** True when this node owns ring key `key` now. */
  readonly owns: (key: string) => boolean;
  /** Runs one tick of `definition` (`tickMs`: the tick's wall time). A rejection is reported to `onError`. */
  readonly fire: (definition: FunctionDefinition, tickMs: number) => Promise<void>;
  readonly onError?: (definition: FunctionDefinition, error: unknown) => void;
}

interface Armed {
  readonly definition: FunctionDefinition;
  /** The next tick (epoch ms) this node's timer waits for; `undefined` when the pattern has no more. */
  next: number | undefined;
}

/** See the module doc. `start()` once; `stop()` clears the timer and waits for firings in progress. */
export class CronScheduler {
  readonly #options: CronSchedulerOptions;
  readonly #armed: Armed[];
  #timer: TimerHandle | undefined = undefined;
  #stopped = false;
  readonly #inProgress = new Set<Promise<void>>();
  /** Ticks this node ran (counted after `fire` resolved). */
  fired = 0;
  /** Ticks this node found recorded by another node (fence lost). */
  fencedOut = 0;

  constructor(options: CronSchedulerOptions) {
    this.#options = options;
    this.#armed = options.functions
      .filter((definition) => definition.schedule !== undefined)
      .map((definition) => ({ definition, next: undefined }));
  }

  /** How many schedules this node watches. */
  get size(): number {
    return this.#armed.length;
  }

  /** Arms the timer and runs the start-up catch-up check (for `missed: { catchUp }` schedules this node owns). */
  start(): void {
    const now = this.#options.clock.wallNow();
    for (const armed of this.#armed) {
      armed.next = nextTickAfter(armed.definition.schedule!, now);
      if (armed.definition.schedule!.missed.type === 'catch-up') this.#track(this.#consider(armed, undefined));
    }
    this.#arm();
  }

  /** Stops firing; resolves once firings in progress settled. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#inProgress]);
  }

  #arm(): void {
    if (this.#stopped) return;
    let earliest: number | undefined;
    for (const armed of this.#armed) {
      if (armed.next !== undefined && (earliest === undefined || armed.next < earliest)) earliest = armed.next;
    }
    if (earliest === undefined) return;
    const { clock } = this.#options;
    this.#timer = clock.setTimeout(this.#onTimer, Math.max(0, earliest - clock.wallNow()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#options.clock.wallNow();
    for (const armed of this.#armed) {
      const due = armed.next;
      if (due === undefined || due > now) continue;
      armed.next = nextTickAfter(armed.definition.schedule!, Math.max(due, now));
      this.#track(this.#consider(armed, due));
    }
    this.#arm();
  };

  #track(firing: Promise<void>): void {
    this.#inProgress.add(firing);
    void firing.finally(() => this.#inProgress.delete(firing));
  }

  /** One schedule's firing for `dueTickMs` (or the start-up check): the module diagram. Never rejects. */
  async #consider(armed: Armed, dueTickMs: number | undefined): Promise<void> {
    const { definition } = armed;
    const { ledger, clock, owns, fire, onError } = this.#options;
    const key = scheduleKey(definition.name);
    if (!owns(key)) return;
    try {
      const stored = await ledger.load(key);
      const lastFiredMs = (stored?.snapshot as LedgerEntry | undefined)?.lastFiredMs;
      const plan = planFiring({ schedule: definition.schedule!, lastFiredMs, dueTickMs, nowMs: clock.wallNow() });
      if (plan.record === undefined) return;
      try {
        await ledger.save(key, { lastFiredMs: plan.record } satisfies LedgerEntry, stored?.revision ?? null);
      } catch (error) {
        if (!ConflictError.is(error)) throw error;
        this.fencedOut++;
        return;
      }
      for (const tick of plan.fire) {
        if (this.#stopped) return;
        try {
          await fire(definition, tick);
          this.fired++;
        } catch (error) {
          onError?.(definition, error);
        }
      }
    } catch (error) {
      onError?.(definition, error);
    }
  }
}
