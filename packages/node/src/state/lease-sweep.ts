/**
 * Purges what released activation leases leave behind. A release deletes the lease key, and JetStream keeps the
 * delete marker for good (server 2.9 has no marker TTL), so without a sweep a cluster whose actors come and go
 * grows its lease bucket by one marker per actor ever released.
 *
 * ```
 *  every intervalMs ─► does this node own SWEEP_KEY on the ring? ─no─► skip (another node sweeps)
 *                                    │ yes
 *                                    ▼
 *        purgeReleased(now − intervalMs) ─► log leases.swept { purged } (or leases.sweep_failed)
 * ```
 * One node sweeps at a time without any coordination: the ring names it. A lease acquired again after its marker
 * was listed is never removed (see `RevisionedKv.purgeMarkers`).
 */
import { type Clock, systemClock, type TimerHandle } from '@lucent/core/internal';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';

/** The ring key whose owner sweeps. */
export const SWEEP_KEY = 'lucent:lease-sweep';

/** What the sweep needs of the lease bucket (`ActivationLeases` has it). */
export interface ReleasedLeasePurger {
  /** Purges the markers of leases released before `beforeMs` (epoch ms); resolves with how many. */
  purgeReleased(beforeMs: number): Promise<number>;
}

export interface LeaseSweepOptions {
  /** Time between sweeps; a sweep purges markers older than one interval. */
  readonly intervalMs: number;
  /** Binds the lease bucket, once, when the node starts. */
  readonly open: (context: ShardContext) => Promise<ReleasedLeasePurger>;
  /** The node that owns `key` in this node's current view (`undefined` before it has one). */
  readonly ownerOf: (key: string) => string | undefined;
  /**
   * Time source: the interval runs on its timers, and the purge age is read from `wallNow()` (markers carry
   * wall-clock times). Default `systemClock`, whose timers are unref'd: housekeeping must not keep a stopping
   * process alive.
   */
  readonly clock?: Clock;
}

/** See the module doc. */
export class LeaseSweepExtension implements ShardExtension {
  readonly name = 'lease sweep';
  readonly #options: LeaseSweepOptions;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined = undefined;
  /** The sweep in progress (one at a time), so shutdown can wait for it. */
  #sweeping: Promise<void> | undefined = undefined;

  constructor(options: LeaseSweepOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  async start(context: ShardContext): Promise<void> {
    const purger = await this.#options.open(context);
    // An interval as a timer re-armed at each tick (the clock has one-shot timers only).
    const tick = (): void => {
      this.#timer = this.#clock.setTimeout(tick, this.#options.intervalMs);
      this.#tick(context, purger);
    };
    this.#timer = this.#clock.setTimeout(tick, this.#options.intervalMs);
  }

  async beginShutdown(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  async stop(): Promise<void> {
    await this.beginShutdown();
  }

  #tick(context: ShardContext, purger: ReleasedLeasePurger): void {
    if (this.#sweeping !== undefined || this.#options.ownerOf(SWEEP_KEY) !== context.nodeId) return;
    this.#sweeping = this.#sweep(context, purger).finally(() => {
      this.#sweeping = undefined;
    });
  }

  async #sweep(context: ShardContext, purger: ReleasedLeasePurger): Promise<void> {
    try {
      const purged = await purger.purgeReleased(this.#clock.wallNow() - this.#options.intervalMs);
      if (purged > 0) context.logger.info({ purged }, 'leases.swept');
    } catch (error) {
      context.logger.warn({ err: error }, 'leases.sweep_failed');
    }
  }
}
