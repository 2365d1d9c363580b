/**
 * The node's reminder scheduler as a shard extension: it opens the cluster's reminder store, works out which
 * partitions this node owns from the ring, and fires their reminders through the normal request path (an ask
 * to the actor's owner, which activates it if it is passive).
 *
 * ```
 *  start ─► reminderStoreFor(transport) ─► ReminderScheduler
 *  every viewPollMs: the view's ring changed? ─► setOwned(ownedReminderPartitions(view, me))
 *  fire ─► ClientCore.ask(type/id, event, { messageId }) ─► owner node ─► actor (activated if passive)
 *  beginShutdown ─► scheduler.stop()   (its reminders stay stored; the next owner of each partition fires them)
 * ```
 * Without a view (a standalone node) the node owns every partition and delivers to its own actors directly.
 * A node that hosts no actor types neither opens the store nor fires.
 */
import {
  actorKey,
  type Clock,
  type ClusterView,
  ConfigError,
  ownedReminderPartitions,
  type TimerHandle,
  type ViewSource,
} from '@lucent/core/internal';
import { ClientCore } from '../client/client-core.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { connectWithRetry } from '../transport/connect-retry.js';
import { ReminderScheduler, type ReminderSchedulerOptions } from './reminder-scheduler.js';
import type { StoredReminder } from './reminder-store.js';
import { reminderStoreFor } from './reminder-store-for.js';

/** How long start-up keeps retrying to open the reminder bucket (leader election on a degraded cluster). */
const REMINDER_STORE_OPEN_TIMEOUT_MS = 30_000;
export interface ReminderExtensionOptions {
  /** The live cluster view (membership's); without one, this node owns every partition. */
  readonly view?: ViewSource;
  /** How often to look for a ring change (default 250 ms): ownership follows within this. */
  readonly viewPollMs?: number;
  /** Bound on one delivery (the actor's answer), default 30 000 ms; past it, retried with backoff. */
  readonly deliveryTimeoutMs?: number;
  readonly windowCapacity?: number;
  readonly maxInFlight?: number;
  readonly onFired?: ReminderSchedulerOptions['onFired'];
}

/** See the module doc. */
export class ReminderExtension implements ShardExtension {
  readonly name = 'reminders';
  readonly #options: ReminderExtensionOptions;
  #scheduler: ReminderScheduler | undefined = undefined;
  #poll: TimerHandle | undefined = undefined;
  #ring: unknown = null;
  #stopped = false;
  #clock: Clock | undefined = undefined;

  constructor(options: ReminderExtensionOptions = {}) {
    this.#options = options;
  }

  /** The running scheduler (`undefined` before start, or on a node without actor types). */
  get scheduler(): ReminderScheduler | undefined {
    return this.#scheduler;
  }

  async start(context: ShardContext): Promise<void> {
    if (context.actorTypes.length === 0) return;
    const { config, clock, logger, nodeId } = context;
    this.#clock = clock;
    // A NATS cluster that just lost a server may take a few seconds to place a new bucket's leader: retry the
    // open (a failed open is forgotten by reminderStoreFor) instead of failing the node's start at once.
    const store = await connectWithRetry(
      () => reminderStoreFor(context.transport, { cluster: context.cluster, replicas: config.natsReplicas }),
      {
        target: `reminder store of ${context.cluster}`,
        timeoutMs: REMINDER_STORE_OPEN_TIMEOUT_MS,
        clock,
        isPermanent: (error) => ConfigError.is(error),
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn({ err: error, attempt, retryInMs: delayMs }, 'reminders.store_open_retry'),
      },
    );
    const view = this.#options.view;
    const timeoutMs = this.#options.deliveryTimeoutMs ?? 30_000;
    let deliver: ReminderSchedulerOptions['deliver'];
    if (view === undefined) {
      const actors = context.actors as unknown as {
        ask(type: string, id: string, event: unknown, options: object): Promise<unknown>;
      };
      deliver = (r: StoredReminder, event, messageId) =>
        actors.ask(r.actorType, r.actorId, event, { timeoutMs, messageId });
    } else {
      const client = new ClientCore({
        transport: context.transport,
        cluster: context.cluster,
        viewSource: view,
        codec: context.codec,
        origin: nodeId,
        clock,
      });
      deliver = (r, event, messageId) => client.ask(actorKey(r.actorType, r.actorId), event, { timeoutMs, messageId });
    }
    const scheduler = new ReminderScheduler({
      store,
      clock,
      deliver,
      ...(this.#options.windowCapacity === undefined ? {} : { windowCapacity: this.#options.windowCapacity }),
      ...(this.#options.maxInFlight === undefined ? {} : { maxInFlight: this.#options.maxInFlight }),
      ...(this.#options.onFired === undefined ? {} : { onFired: this.#options.onFired }),
      onError: (error, what, reminder) =>
        logger.warn(
          { err: error, what, ...(reminder === undefined ? {} : { reminder: reminder.key, due: reminder.dueAt }) },
          'reminder.retry',
        ),
    });
    this.#scheduler = scheduler;
    if (view === undefined) {
      scheduler.setOwned(ownedReminderPartitions(undefined, nodeId, store.partitions));
      return;
    }
    const pollMs = this.#options.viewPollMs ?? 250;
    const follow = (): void => {
      if (this.#stopped) return;
      this.#follow(view.current(), nodeId, store.partitions, scheduler, context);
      this.#poll = clock.setTimeout(follow, pollMs);
    };
    follow();
  }

  beginShutdown(): void {
    this.#stopped = true;
    if (this.#poll !== undefined) this.#clock?.clearTimeout(this.#poll);
    this.#poll = undefined;
    this.#scheduler?.stop();
  }

  stop(): void {
    this.beginShutdown();
  }

  /** Re-derives ownership when the ring changed (a load report alone keeps the ring: nothing to do). */
  #follow(
    view: ClusterView | undefined,
    nodeId: string,
    partitions: number,
    scheduler: ReminderScheduler,
    context: ShardContext,
  ): void {
    const ring = view?.ring;
    if (ring === this.#ring) return;
    this.#ring = ring;
    // A view not known yet, or one without this node, owns nothing: never claim partitions blind.
    const owned = view === undefined || !view.byId.has(nodeId) ? [] : ownedReminderPartitions(view, nodeId, partitions);
    const before = scheduler.owned.length;
    scheduler.setOwned(owned);
    if (owned.length !== before) context.logger.info({ partitions: owned.length }, 'reminders.owned');
  }
}
