/**
 * Hand-off of function actors when the ring changes: after every membership change, the node stops the actors
 * whose key it no longer owns. Each saves its final snapshot and then gives its activation lease back, so the
 * new owner (whose activation waits for that lease) starts from the latest state instead of a stale one.
 *
 * ```
 *  member joined/left/died/restarted/updated (weight) ─► (next turn) ─► actors.stopWhere(owner(type/id) ≠ this node)
 *                                                       └─► final save ─► lease released ─► new owner loads
 * ```
 * Messages that reach this node for a moved key meanwhile are forwarded by the router, as for any key.
 */
import { actorKey, isRemote, placeActor } from '@lucent/core/internal';
import type { MembershipExtension } from '../membership/membership-extension.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';

/** Stops actors whose keys moved away; see the module doc. Start it after the membership extension. */
export class ActorHandoffExtension implements ShardExtension {
  readonly name = 'actor hand-off';
  readonly #membership: MembershipExtension;
  #unsubscribe: (() => void) | undefined = undefined;
  #scheduled = false;
  /** The hand-off in progress, so shutdown can wait for it. */
  #running: Promise<void> = Promise.resolve();

  constructor(membership: MembershipExtension) {
    this.#membership = membership;
  }

  start(context: ShardContext): Promise<void> {
    const membership = this.#membership.membership;
    if (membership === undefined || context.actorTypes.length === 0) return Promise.resolve();
    this.#unsubscribe = membership.onEvent(() => {
      // Every change may move keys, an update too: rebalancing changes ring weights (`load/rebalancer.ts`).
      this.#schedule(context);
    });
    return Promise.resolve();
  }

  async beginShutdown(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#running;
  }

  async stop(): Promise<void> {
    await this.beginShutdown();
  }

  /** Several changes in one turn (a probe's answers) cost one pass. */
  #schedule(context: ShardContext): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#running = this.#running.then(() => this.#handOff(context));
    });
  }

  async #handOff(context: ShardContext): Promise<void> {
    const view = this.#membership.viewSource.current();
    const me = context.nodeId;
    const moved: string[] = [];
    // Without a view every actor is unplaced, so none is remote and none moves.
    const stopping = context.actors.stopWhere((type, id) => {
      const key = actorKey(type, id);
      if (!isRemote(placeActor(key, view), me)) return false;
      moved.push(key);
      return true;
    });
    try {
      await stopping;
    } catch (error) {
      context.logger.warn({ err: error }, 'actors.handoff_failed');
    }
    if (moved.length > 0) context.logger.info({ actors: moved.length }, 'actors.handed_off');
  }
}
