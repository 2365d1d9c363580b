/**
 * Membership as a {@link ShardExtension}: the node joins the cluster before it reports ready and leaves first
 * when it shuts down, and its router reads the live view through {@link MembershipExtension.viewSource}.
 *
 * ```
 *  start          join check: an observer probes the cluster (no heartbeat of ours yet) and collects who
 *                 answers ─► refuse with ConfigError when a live process has this node's id or other modules
 *                 (join-check.ts)
 *                 ─► new Membership(member, node id, tags, heartbeat period, load from the pool, modules)
 *                 ─► start (own heartbeat + probe) ─► one more flush (the probe's answers) ─► ready
 *  beginShutdown  stop: a leave, so the others move this node's keys at once instead of after deadAfterMs
 * ```
 * Before `start` (and on a node whose membership failed to start) the view source yields `undefined`, which
 * the router reads as "serve everything here".
 */
import { getHeapStatistics } from 'node:v8';
import { type Clock, type ClusterView, type LoadReport, systemClock, type ViewSource } from '@lucent/core/internal';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { joinConflict, modulesOf } from './join-check.js';
import { Membership } from './membership.js';
import type { MembershipEvent } from './membership-events.js';
import { MembershipRole } from './membership-options.js';

/** Options of {@link MembershipExtension}. */
export interface MembershipExtensionOptions {
  /** A member silent this long is dead. Default: membership's (3 × the heartbeat period). */
  readonly deadAfterMs?: number;
  /**
   * Refuse to start when a live process already runs under this node's id, or when live members host other
   * functions or actor types (see `join-check.ts`). Default true.
   */
  readonly joinCheck?: boolean;
  /**
   * How long the join check listens for answers to its probe after two round trips to the server, on the
   * node's clock. Default: 0 on the in-memory bus (deliveries are done after the round trips), on NATS the
   * smaller of the heartbeat period and 250 ms (answers from busy or distant members).
   */
  readonly joinCheckMs?: number;
  /** What heartbeats report as this node's load; default: read from the pool at each heartbeat. */
  readonly load?: () => LoadReport;
}

/** Longest wait of the join check on NATS (see {@link MembershipExtensionOptions.joinCheckMs}). */
const DEFAULT_JOIN_CHECK_MS = 250;

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
    const modules = modulesOf(context.functions, context.actorTypes);
    if (this.#options.joinCheck !== false) await this.#checkJoin(context, modules);
    const membership = new Membership({
      modules,
      clock,
      transport: context.transport,
      nodeId: context.nodeId,
      cluster: context.cluster,
      tags: config.tags,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      ...(this.#options.deadAfterMs === undefined ? {} : { deadAfterMs: this.#options.deadAfterMs }),
      load:
        this.#options.load ??
        ((): LoadReport => {
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
        }),
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

  /**
   * Probes the cluster as an observer (so nobody sees this node yet) and throws the `ConfigError` of
   * `joinConflict` when it must not join.
   */
  async #checkJoin(context: ShardContext, modules: readonly string[]): Promise<void> {
    const { config, transport, clock } = context;
    const observer = new Membership({
      role: MembershipRole.Observer,
      transport,
      cluster: context.cluster,
      clock,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      ...(this.#options.deadAfterMs === undefined ? {} : { deadAfterMs: this.#options.deadAfterMs }),
    });
    try {
      await observer.start(); // probe sent and flushed
      // Members answer a probe on their next turn: let one pass, then one more round trip brings the answers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await transport.flush();
      const waitMs =
        this.#options.joinCheckMs ??
        (context.transportKind === 'nats' ? Math.min(config.heartbeatIntervalMs, DEFAULT_JOIN_CHECK_MS) : 0);
      if (waitMs > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, waitMs));
    } finally {
      await observer.stop();
    }
    const conflict = joinConflict({ nodeId: context.nodeId, modules }, observer.members);
    if (conflict !== undefined) throw conflict;
  }

  /** Leaves (idempotent; never rejects). */
  async beginShutdown(): Promise<void> {
    await this.#membership?.stop();
  }

  async stop(): Promise<void> {
    await this.#membership?.stop();
  }
}
