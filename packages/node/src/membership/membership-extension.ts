/**
 * Membership as a {@link ShardExtension}: the node joins the cluster before it reports ready and leaves first
 * when it shuts down, and its router reads the live view through {@link MembershipExtension.viewSource}.
 *
 * ```
 *  start          new Membership(member, node id, tags, heartbeat period, load from the pool)
 *                 ─► start (own heartbeat + probe) ─► one more flush (the probe's answers) ─► ready
 *  beginShutdown  stop: a leave, so the others move this node's keys at once instead of after deadAfterMs
 * ```
 * Before `start` (and on a node whose membership failed to start) the view source yields `undefined`, which
 * the router reads as "serve everything here".
 */
import { getHeapStatistics } from 'node:v8';
import { type Clock, type ClusterView, type LoadReport, systemClock, type ViewSource } from '@lucent/core/internal';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { Membership } from './membership.js';
import type { MembershipEvent } from './membership-events.js';

/** Options of {@link MembershipExtension}. */
export interface MembershipExtensionOptions {
  /** A member silent this long is dead. Default: membership's (3 × the heartbeat period). */
  readonly deadAfterMs?: number;
}

/** Reports the pool's queue as load; with no pool, an idle node with room. */
const QUEUE_CAPACITY = 1000;

/** Joins on start, leaves on shutdown; see the module doc. One instance per node. */
export class MembershipExtension implements ShardExtension {
  readonly name = 'membership';
  /** The live view (for the router and the node's own clients); `undefined` until started. */
  readonly viewSource: ViewSource;
  readonly #options: MembershipExtensionOptions;
  #membership: Membership | undefined = undefined;
  /** The node's clock (from the context at start). */
  #clock: Clock = systemClock;
  /** `clock.now()` when membership started; until `deadAfterMs` later its view may still be filling. */
  #startedAt = Number.POSITIVE_INFINITY;

  constructor(options: MembershipExtensionOptions = {}) {
    this.#options = options;
    // Read per routing decision: one property read, no closure per message.
    this.viewSource = { current: (): ClusterView | undefined => this.#membership?.view };
  }

  /**
   * Is `nodeId` a live member? Answers `true` for everyone until membership has run for one dead window: a member
   * this node has not heard from yet is not known to be dead (activation leases must not be taken over on a
   * view that is still filling).
   */
  isAlive(nodeId: string): boolean {
    const membership = this.#membership;
    if (membership === undefined || this.#clock.now() - this.#startedAt < membership.deadAfterMs) return true;
    return membership.members.some((member) => member.id === nodeId);
  }

  /** The running membership, or `undefined` before `start`. */
  get membership(): Membership | undefined {
    return this.#membership;
  }

  /** Joins. Rejects with `ConfigError` for invalid timing options, `ShuttingDownError` if the transport closed. */
  async start(context: ShardContext): Promise<void> {
    const { config, logger, pool, clock } = context;
    const threads = config.threads;
    this.#clock = clock;
    const membership = new Membership({
      clock,
      transport: context.transport,
      nodeId: context.nodeId,
      cluster: context.cluster,
      tags: config.tags,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      ...(this.#options.deadAfterMs === undefined ? {} : { deadAfterMs: this.#options.deadAfterMs }),
      load: (): LoadReport => {
        const stats = pool?.stats();
        const heap = getHeapStatistics();
        return {
          cpu: stats?.utilization ?? 0,
          memory: heap.used_heap_size / heap.heap_size_limit,
          activeFunctions: stats?.tasksInFlight ?? 0,
          maxFunctions: Math.max(1, threads * 2),
          queueDepth: Math.min(stats?.queueDepth ?? 0, QUEUE_CAPACITY),
          maxQueue: QUEUE_CAPACITY,
        };
      },
    });
    membership.onEvent((event: MembershipEvent) =>
      logger.info({ member: event.member.id, incarnation: event.member.incarnation }, event.type),
    );
    membership.onError((error) => {
      context.metrics.error(error.code);
      logger.warn({ err: error }, 'membership.error');
    });
    this.#membership = membership;
    this.#startedAt = clock.now();
    try {
      await membership.start();
    } catch (error) {
      // The shell only stops extensions that started: stop the timers and subscription here.
      await membership.stop();
      throw error;
    }
    // The probe made every member heartbeat at once; one more round trip lets most of those answers arrive
    // before `node.ready`, so a freshly started cluster routes with full views (late ones only cost a forward).
    await context.transport.flush();
    logger.info({ members: membership.members.map((member) => member.id) }, 'membership.joined');
  }

  /** Leaves (idempotent; never rejects). */
  async beginShutdown(): Promise<void> {
    await this.#membership?.stop();
  }

  async stop(): Promise<void> {
    await this.#membership?.stop();
  }
}
