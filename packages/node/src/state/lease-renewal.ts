/**
 * The node's lease renewal: one pass per interval renews every activation lease the node holds (one batch, the
 * renewals pipelined on the connection, not one timer per actor), and stops the actors whose lease it lost.
 *
 * ```
 *  every intervalMs ─► guard.dropExpired() (sync: unconfirmed for the TTL) ─► stop those actors at once
 *                   ─► guard.renewAll() ─► renewed: keep serving
 *                                        └► lost (taken over, or unconfirmed for the TTL) ─► stop those actors
 *                                           (step down: a fenced final save fails, so nothing stale is written)
 * ```
 * Renewal goes on through shutdown until every actor has stopped (final save, lease released): the node's
 * `afterActorsStopped` hook ends it, however long the drain took.
 * A pass that overruns the interval is not doubled: the next tick starts after it ends. After a long pause (SIGSTOP,
 * GC stall) the overdue timer fires first thing, so the paused node learns it lost its leases early; its writes
 * are refused by the fence in any case (`lease-activation-guard.ts`).
 */
import { type Clock, systemClock, type TimerHandle } from '@lucent/core/internal';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import type { RenewalReport } from './lease-activation-guard.js';

/** What the renewal needs of the guard (`LeaseActivationGuard` has it). */
export interface LeaseRenewer {
  dropExpired(): readonly string[];
  renewAll(): Promise<RenewalReport>;
}

export interface LeaseRenewalOptions {
  /** Time between passes (well below the lease TTL). */
  readonly intervalMs: number;
  /** The guard, once the node created it (`undefined` before: the pass is skipped). */
  readonly renewer: () => LeaseRenewer | undefined;
  /** Time source of the interval. Default `systemClock` (unref'd timers). */
  readonly clock?: Clock;
}

/** See the module doc. */
export class LeaseRenewalExtension implements ShardExtension {
  readonly name = 'lease renewal';
  readonly #options: LeaseRenewalOptions;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined = undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: LeaseRenewalOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  start(context: ShardContext): Promise<void> {
    this.#stopped = false;
    this.#arm(context);
    return Promise.resolve();
  }

  /**
   * Not at `beginShutdown` nor `stop`: the node's actors save their final snapshots after those, and a lease
   * left unrenewed for the TTL meanwhile would let a new owner take it over and fence those saves out.
   */
  async afterActorsStopped(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #arm(context: ShardContext): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#pass(context).finally(() => this.#arm(context));
    }, this.#options.intervalMs);
  }

  async #pass(context: ShardContext): Promise<void> {
    const renewer = this.#options.renewer();
    if (renewer === undefined) return;
    const expired = renewer.dropExpired();
    if (expired.length > 0) this.#stepDown(context, expired, 0);
    const report = await renewer.renewAll();
    if (report.lost.length > 0) this.#stepDown(context, report.lost, report.failed);
  }

  #stepDown(context: ShardContext, keys: readonly string[], failed: number): void {
    const lost = new Set(keys);
    context.logger.warn({ actors: lost.size, failed }, 'actors.lease_lost');
    // Not awaited: a stop drains the actor's mailbox, and the other leases must not wait for that to be renewed.
    void context.actors
      .stopWhere((type, id) => lost.has(`${type}/${id}`))
      .then(
        () => context.logger.info({ actors: lost.size }, 'actors.stepped_down'),
        // Expected when a new owner fenced the state: the final save conflicts and the actor stops without it.
        (error: unknown) => context.logger.info({ actors: lost.size, err: error }, 'actors.stepped_down'),
      );
  }
}
