/**
 * What the dashboard shows at one moment, built from the membership view and each node's admin status. Pure:
 * the collector (`dashboard-collector.ts`) does the asking, this decides the numbers.
 *
 * calls/s per node is the change of its served-request counters since the previous snapshot, so the charts move
 * with the traffic of the last second, not a minute's average.
 */
import type { MemberView } from '@lucent/core/internal';
import type { NodeStatus } from '../admin-service/admin-protocol.js';

export interface DashboardNode {
  readonly id: string;
  readonly tags: readonly string[];
  /** Load score from the node's heartbeat (0..1). */
  readonly load: number;
  readonly ringShare: number;
  readonly callsPerSecond: number;
  readonly errorRate: number;
  readonly activeActors: number;
  readonly ready: boolean;
  readonly healthy: boolean;
  /** Cumulative requests served (succeeded + failed), for the next rate. */
  readonly served: number;
  /** Why the node did not answer its status request, when it did not. */
  readonly error?: string;
}

export interface DashboardSnapshot {
  /** Epoch ms. */
  readonly at: number;
  readonly cluster: string;
  readonly nodes: readonly DashboardNode[];
  /** Top functions by calls, summed over the nodes. */
  readonly functions: readonly { readonly name: string; readonly calls: number; readonly errors: number }[];
  readonly actorTypes: readonly { readonly type: string; readonly count: number }[];
}

export interface SnapshotInput {
  readonly at: number;
  readonly cluster: string;
  readonly members: readonly MemberView[];
  readonly shares: ReadonlyMap<string, number>;
  readonly statuses: ReadonlyMap<string, NodeStatus | Error>;
  /** The previous snapshot, for rates. */
  readonly previous?: DashboardSnapshot;
}

/** How many functions the "top functions" list keeps. */
export const TOP_FUNCTIONS = 10;

export function dashboardSnapshot(input: SnapshotInput): DashboardSnapshot {
  const previousNodes = new Map((input.previous?.nodes ?? []).map((node) => [node.id, node]));
  const elapsedS = input.previous === undefined ? 0 : (input.at - input.previous.at) / 1000;
  const functions = new Map<string, { calls: number; errors: number }>();
  const actorTypes = new Map<string, number>();
  const nodes: DashboardNode[] = [];
  for (const member of input.members) {
    const status = input.statuses.get(member.id);
    const base = {
      id: member.id,
      tags: member.tags,
      load: member.loadScore,
      ringShare: input.shares.get(member.id) ?? 0,
    };
    if (status === undefined || status instanceof Error) {
      nodes.push({
        ...base,
        callsPerSecond: 0,
        errorRate: 0,
        activeActors: 0,
        ready: false,
        healthy: false,
        served: previousNodes.get(member.id)?.served ?? 0,
        error: status?.message ?? 'no answer yet',
      });
      continue;
    }
    const served = status.stats.succeeded + status.stats.failed;
    const before = previousNodes.get(member.id);
    const callsPerSecond =
      before === undefined || before.error !== undefined || elapsedS <= 0
        ? 0
        : Math.max(0, served - before.served) / elapsedS;
    nodes.push({
      ...base,
      callsPerSecond,
      errorRate: status.health.errorRate,
      activeActors: status.activeActors,
      ready: status.ready,
      healthy: status.health.healthy,
      served,
    });
    for (const fn of status.functionTotals) {
      const sum = functions.get(fn.name) ?? { calls: 0, errors: 0 };
      sum.calls += fn.calls;
      sum.errors += fn.errors;
      functions.set(fn.name, sum);
    }
    for (const [type, count] of Object.entries(status.actorCounts)) {
      actorTypes.set(type, (actorTypes.get(type) ?? 0) + count);
    }
  }
  nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    at: input.at,
    cluster: input.cluster,
    nodes,
    functions: [...functions]
      .map(([name, sum]) => ({ name, ...sum }))
      .sort((a, b) => b.calls - a.calls || b.errors - a.errors || (a.name < b.name ? -1 : 1))
      .slice(0, TOP_FUNCTIONS),
    actorTypes: [...actorTypes].map(([type, count]) => ({ type, count })).sort((a, b) => (a.type < b.type ? -1 : 1)),
  };
}
