/**
 * A node's answers on its admin subject (`admin-protocol.ts`): its status, its active actors, one actor (live and
 * as stored), and the lifecycle commands pause / resume / stop. It reads the node's parts through `AdminSources`
 * and never another node's memory: the CLI asks each node (or the owner of an actor) itself.
 */
import { actorKey, adminSubject, type Clock, ShuttingDownError, toLucentError } from '@lucent/core/internal';
import type { DrainReport } from '../shard/drain-report.js';
import type { ShardContext } from '../shard/shard-context.js';
import type { TransportSubscription } from '../transport/transport.js';
import {
  type ActorAnswer,
  type ActorCommandAnswer,
  type ActorsAnswer,
  type AdminRequest,
  adminErrorAnswer,
  DEFAULT_ACTORS_LIMIT,
  decodeAdminRequest,
  encodeAdmin,
  type NodeStatus,
} from './admin-protocol.js';

/** What the service reads that the shard context does not hold. */
export interface AdminSources {
  readonly version: string;
  readonly startedAt: number;
  readonly status: () => Pick<
    NodeStatus,
    'ready' | 'notReady' | 'functions' | 'stats' | 'health' | 'ringWeight' | 'scaleInCandidate'
  >;
  /**
   * Starts the node's drain (`ShardNode.drain`): false when a shutdown is already under way. `onHandedOff` runs
   * once the actors are handed off, while the transport is still open.
   */
  readonly drain?: (onHandedOff: (report: DrainReport) => Promise<void>) => boolean;
}

export class NodeAdminService {
  readonly #context: ShardContext;
  readonly #sources: AdminSources;
  readonly #clock: Clock;
  readonly #startedAtMono: number;
  #subscription: TransportSubscription | undefined = undefined;

  constructor(context: ShardContext, sources: AdminSources) {
    this.#context = context;
    this.#sources = sources;
    this.#clock = context.clock;
    this.#startedAtMono = context.clock.now();
  }

  start(): void {
    const { transport, cluster, nodeId, logger } = this.#context;
    this.#subscription = transport.subscribe(adminSubject(cluster, nodeId), (frame, replier) => {
      if (replier === undefined) return;
      if (this.#startDrain(frame, (answer) => replier.reply(encodeAdmin(answer)))) return;
      void this.answer(frame).then(
        (answer) => replier.reply(encodeAdmin(answer)),
        (error: unknown) => {
          logger.warn({ err: error }, 'admin.request_failed');
          replier.reply(encodeAdmin(adminErrorAnswer(toLucentError(error))));
        },
      );
    });
  }

  /**
   * A `drain` request is answered from the middle of the node's shutdown, after the hand-off and before the
   * transport closes; true when `frame` was one (answered, or to be answered).
   */
  #startDrain(frame: Uint8Array, reply: (answer: unknown) => void): boolean {
    let request: AdminRequest;
    try {
      request = decodeAdminRequest(frame);
    } catch {
      return false; // answered as a malformed request by `answer`
    }
    if (request.op !== 'drain') return false;
    const { transport, nodeId, logger } = this.#context;
    const drain = this.#sources.drain;
    logger.info({}, 'admin.drain');
    const started =
      drain?.(async (report) => {
        logger.info({ actors: report.total, actorsSaved: report.actorsSaved }, 'node.drained');
        reply(report);
        await transport.flush();
      }) ?? false;
    if (!started) reply(adminErrorAnswer(new ShuttingDownError({ node: nodeId })));
    return true;
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  /** The answer to one encoded request. Rejects for a malformed request or a failed command. */
  async answer(frame: Uint8Array): Promise<unknown> {
    const request = decodeAdminRequest(frame);
    switch (request.op) {
      case 'status':
        return this.#status();
      case 'actors':
        return this.#actors(request.type, request.limit ?? DEFAULT_ACTORS_LIMIT);
      case 'actor':
        return this.#actor(request.type, request.id);
      case 'drain':
        throw new ShuttingDownError({ node: this.#context.nodeId }); // only through the subscription (start)
      default:
        return this.#command(request);
    }
  }

  #status(): NodeStatus {
    const { config, actorTypes, actors, metrics } = this.#context;
    return {
      node: config.shard,
      cluster: config.cluster,
      version: this.#sources.version,
      tags: config.tags,
      startedAt: this.#sources.startedAt,
      uptimeMs: Math.round(this.#clock.now() - this.#startedAtMono),
      actorTypes,
      activeActors: actors.activeCount,
      actorCounts: actors.activeCounts(),
      functionTotals: metrics.functionTotals(),
      ...this.#sources.status(),
    };
  }

  #actors(type: string | undefined, limit: number): ActorsAnswer {
    const all = this.#context.actors.inspectAll(type);
    return { node: this.#context.nodeId, total: all.length, actors: all.slice(0, limit) };
  }

  async #actor(type: string, id: string): Promise<ActorAnswer> {
    const active = this.#context.actors.inspect(type, id) ?? null;
    const stored = await this.#context.store.load(actorKey(type, id));
    return {
      node: this.#context.nodeId,
      active,
      stored: stored === null ? null : { revision: stored.revision, snapshot: stored.snapshot },
    };
  }

  async #command(request: Extract<AdminRequest, { op: 'pause' | 'resume' | 'stop' }>): Promise<ActorCommandAnswer> {
    const { actors, nodeId, logger } = this.#context;
    const { type, id } = request;
    let changed: boolean;
    if (request.op === 'pause') changed = actors.pause(type, id);
    else if (request.op === 'resume') changed = actors.resume(type, id);
    else {
      changed = actors.status(type, id) !== undefined;
      await actors.stop(type, id);
    }
    logger.info({ actor: actorKey(type, id), command: request.op, changed }, 'admin.actor_command');
    return { node: nodeId, changed, status: actors.status(type, id) ?? null };
  }
}
