/**
 * The shard's supervisor: an actor in the node's actor system that owns the function pool and the function
 * actors. It creates both, replaces a pool that died after a backoff, within a restart budget, and when the
 * budget is spent asks the node to stop fatally (the node then leaves the cluster, logs `node.fatal` and
 * `lucent-node` exits with `EXIT_FATAL`).
 *
 * ```
 *  pool dies (workers cannot start) ─► tell { pool.died, generation }          (stale generations ignored)
 *     │  SupervisedPool.detach(): calls fail fast with NodeUnavailableError; the dead pool is closed
 *     ├─ decidePoolRestart: restart ─► timer(delayMs) ─► { pool.restart } ─► createPool ─► attach
 *     │                                                                 └─ creation fails = another death
 *     └─ give up ─► onFatal(reason)
 * ```
 * Decisions are `pool-restart-policy.ts` (pure); time is the actor system's clock (its `SimulatedClock` in
 * tests). The request path holds {@link ShardSupervisor.pool}, which stays the same object across restarts.
 */
import type {
  ActorContext,
  ActorRef,
  AnyActorDefinition,
  FunctionActors,
  LocalActorSystem,
} from '@lucent/actors/internal';
import type { Logger } from '../logging.js';
import type { FunctionPool } from '../pool/function-pool.js';
import {
  decidePoolRestart,
  type PoolSupervisionOptions,
  type ResolvedPoolSupervision,
  resolvePoolSupervision,
} from '../pool/pool-restart-policy.js';
import { SupervisedPool } from '../pool/supervised-pool.js';

/** Name of the supervisor actor under `/user`. */
export const SHARD_SUPERVISOR_NAME = 'shard-supervisor';

/** Builds one pool; `onDeath` must reach `createFunctionPool`'s option of that name. */
export type PoolFactory = (onDeath: (reason: string) => void) => Promise<FunctionPool>;

/** Options of {@link ShardSupervisor.start}. */
export interface ShardSupervisorOptions {
  /** The node's actor system; the supervisor is spawned in it as `/user/shard-supervisor`. */
  readonly system: LocalActorSystem;
  /** Names the node in errors (`NodeUnavailableError.node`). */
  readonly nodeId: string;
  /** Builds the pool, at start and for every restart; `undefined` when the node has no functions. */
  readonly createPool: PoolFactory | undefined;
  /** Builds the function actors, once, in `system`. */
  readonly createActors: () => FunctionActors<readonly AnyActorDefinition[]>;
  /** Restart budget and backoff (defaults in `pool-restart-policy.ts`). */
  readonly supervision?: PoolSupervisionOptions;
  readonly logger: Logger;
  /**
   * Called once when the pool cannot be kept alive (the restart budget is spent), with why. The node stops
   * fatally; the supervisor does nothing more.
   */
  readonly onFatal: (reason: string) => void;
  /** A number in [0, 1) for the backoff jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** What the supervisor actor receives. */
type SupervisorMessage =
  | { readonly type: 'pool.died'; readonly generation: number; readonly reason: string }
  | { readonly type: 'pool.restart' };

const RESTART: SupervisorMessage = { type: 'pool.restart' };
const RESTART_TIMER = 'pool.restart';

/** A running supervisor: the pool and actors it owns, and how to stop it. Create with {@link ShardSupervisor.start}. */
export class ShardSupervisor {
  /** The pool for the request path (same object across restarts), or `undefined` without functions. */
  readonly pool: SupervisedPool | undefined;
  readonly actors: FunctionActors<readonly AnyActorDefinition[]>;
  readonly #options: ShardSupervisorOptions;
  readonly #policy: ResolvedPoolSupervision;
  readonly #random: () => number;
  readonly #ref: ActorRef<SupervisorMessage>;
  /** Which pool incarnation is current; a death report of an older one is ignored. */
  #generation: number;
  /** Clock times of the restarts granted (the policy's history). */
  #restarts: readonly number[] = [];
  #restartCount = 0;
  #stopping = false;
  #fatal = false;

  private constructor(
    options: ShardSupervisorOptions,
    policy: ResolvedPoolSupervision,
    pool: FunctionPool | undefined,
    generation: number,
  ) {
    this.#options = options;
    this.#policy = policy;
    this.#random = options.random ?? Math.random;
    this.#generation = generation;
    this.pool = pool === undefined ? undefined : new SupervisedPool(pool, options.nodeId);
    this.actors = options.createActors();
    // The state (generation, restart history) lives on this object, not in the behavior: `#receive` never
    // throws, so the kernel never restarts the actor, and a plain behavior object is enough.
    this.#ref = options.system.spawn<SupervisorMessage>(
      { receive: (message, ctx) => this.#receive(message, ctx) },
      { name: SHARD_SUPERVISOR_NAME },
    );
  }

  /**
   * Creates the first pool (rejecting with its error, e.g. a module that does not import, `ConfigError`), then
   * the function actors, and spawns the supervisor actor. Throws `ConfigError` for invalid supervision options
   * (before creating anything).
   */
  static async start(options: ShardSupervisorOptions): Promise<ShardSupervisor> {
    const policy = resolvePoolSupervision(options.supervision);
    // Generation 1's death report can arrive only after construction: it needs a worker to start and report.
    let supervisor: ShardSupervisor | undefined;
    const pool = await options.createPool?.((reason) => {
      if (supervisor !== undefined) supervisor.#died(1, reason);
    });
    try {
      supervisor = new ShardSupervisor(options, policy, pool, 1);
    } catch (error) {
      await pool?.close();
      throw error;
    }
    return supervisor;
  }

  /** Pool restarts so far. */
  get restartCount(): number {
    return this.#restartCount;
  }

  /** Stops the actors (`FunctionActors.stopAll`: each saves its state); no more pool restarts from now on. */
  stopActors(): Promise<void> {
    this.#stopping = true;
    return this.actors.stopAll();
  }

  /** Stops restarting and closes the pool (bounded by its `closeTimeoutMs`). Idempotent; never rejects for a restart in progress. */
  async closePool(): Promise<void> {
    this.#stopping = true;
    await this.#ref.stop();
    await this.pool?.close();
  }

  #died(generation: number, reason: string): void {
    this.#ref.tell({ type: 'pool.died', generation, reason });
  }

  async #receive(message: SupervisorMessage, ctx: ActorContext<SupervisorMessage>): Promise<void> {
    if (this.#stopping || this.#fatal) return;
    if (message.type === 'pool.died') {
      if (message.generation === this.#generation) this.#onDeath(message.reason, ctx);
      return;
    }
    await this.#restart(ctx);
  }

  #onDeath(reason: string, ctx: ActorContext<SupervisorMessage>): void {
    const { logger } = this.#options;
    const dead = this.pool?.detach();
    if (dead !== undefined) {
      dead.close().catch((error: unknown) => logger.warn({ err: error }, 'pool.close_failed'));
    }
    const decision = decidePoolRestart(this.#policy, this.#restarts, ctx.clock.now(), this.#random(), reason);
    if (decision.type === 'restart') {
      this.#restarts = decision.restarts;
      logger.warn({ reason, delayMs: decision.delayMs, restartsInWindow: decision.restarts.length }, 'pool.died');
      ctx.timers.startSingle(RESTART_TIMER, RESTART, decision.delayMs);
      return;
    }
    this.#fatal = true;
    const { maxRestarts, windowMs } = this.#policy;
    logger.error({ reason, maxRestarts, windowMs }, 'pool.restart_budget_exhausted');
    this.#options.onFatal(
      `function pool died ${decision.restartsInWindow + 1} times within ${windowMs} ms (budget ${maxRestarts} restarts): ${reason}`,
    );
  }

  async #restart(ctx: ActorContext<SupervisorMessage>): Promise<void> {
    const { createPool, logger } = this.#options;
    if (createPool === undefined || this.pool === undefined) return;
    const generation = ++this.#generation;
    let pool: FunctionPool;
    try {
      pool = await createPool((reason) => this.#died(generation, reason));
    } catch (error) {
      if (this.#stopping) return;
      this.#onDeath(`cannot create the pool: ${error instanceof Error ? error.message : String(error)}`, ctx);
      return;
    }
    this.#restartCount++;
    if (this.#stopping || !this.pool.attach(pool)) {
      await pool.close();
      return;
    }
    logger.info({ restarts: this.#restartCount }, 'pool.restarted');
  }
}
