/**
 * The dashboard's data: every second, each live node's status through its admin subject, turned into a
 * {@link DashboardSnapshot}; and one actor on demand, from the node that owns it. Listeners get each snapshot.
 */
import { actorKey, type Clock, PlacementType, placeActor, type TimerHandle } from '@lucent/core/internal';
import { askNode } from '../admin/node-admin-client.js';
import type { ActorAnswer, NodeStatus } from '../admin-service/admin-protocol.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { type DashboardSnapshot, dashboardSnapshot } from './dashboard-snapshot.js';

export interface DashboardCollectorOptions {
  readonly cluster: ClusterClient;
  readonly clusterName: string;
  readonly clock: Clock;
  /** Default 1000 ms. */
  readonly intervalMs?: number;
}

/** An actor as the dashboard shows it: where it lives, and what its owner says. */
export type DashboardActor =
  | ({ readonly key: string } & ActorAnswer)
  | { readonly key: string; readonly error: string };

export class DashboardCollector {
  readonly #options: DashboardCollectorOptions;
  readonly #listeners = new Set<(snapshot: DashboardSnapshot) => void>();
  #latest: DashboardSnapshot | undefined = undefined;
  #timer: TimerHandle | undefined = undefined;
  #stopped = false;

  constructor(options: DashboardCollectorOptions) {
    this.#options = options;
  }

  get latest(): DashboardSnapshot | undefined {
    return this.#latest;
  }

  /** Adds a listener of new snapshots; returns the function that removes it. */
  onSnapshot(listener: (snapshot: DashboardSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    void this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
  }

  /** Collects one snapshot now. */
  async collect(): Promise<DashboardSnapshot> {
    const { cluster, clusterName, clock } = this.#options;
    const view = cluster.view;
    const statuses = new Map<string, NodeStatus | Error>();
    await Promise.all(
      view.members.map(async (member) => {
        const status = await askNode<NodeStatus>(
          cluster.client.transport,
          clusterName,
          member.id,
          { op: 'status' },
          1_000,
        ).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        statuses.set(member.id, status);
      }),
    );
    const snapshot = dashboardSnapshot({
      at: clock.wallNow(),
      cluster: clusterName,
      members: view.members,
      shares: view.members.length === 0 ? new Map() : view.ring.shares(),
      statuses,
      ...(this.#latest === undefined ? {} : { previous: this.#latest }),
    });
    this.#latest = snapshot;
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  /** One actor, from its owner. */
  async actor(type: string, id: string): Promise<DashboardActor> {
    const { cluster, clusterName } = this.#options;
    const key = actorKey(type, id);
    const placement = placeActor(key, cluster.view);
    if (placement.type !== PlacementType.Node) return { key, error: 'no live node owns it' };
    try {
      const answer = await askNode<ActorAnswer>(cluster.client.transport, clusterName, placement.node, {
        op: 'actor',
        type,
        id,
      });
      return { key, ...answer };
    } catch (error) {
      return { key, error: error instanceof Error ? error.message : String(error) };
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    await this.collect().catch(() => undefined);
    if (this.#stopped) return;
    this.#timer = this.#options.clock.setTimeout(() => void this.#tick(), this.#options.intervalMs ?? 1_000);
  }
}
