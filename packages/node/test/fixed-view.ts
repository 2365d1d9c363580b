/** Test helper: a fixed cluster view over node ids, for clients and handlers whose view must not follow membership. */
import { type ClusterView, createClusterView, type LoadReport } from '@lucent/core/internal';

const IDLE_LOAD: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 8, queueDepth: 0, maxQueue: 100 };

/** A view over `ids` (small vnode count: fast to build, placement is still a real ring). */
export function viewOf(...ids: string[]): ClusterView {
  return createClusterView(
    ids.map((id) => ({ id, tags: [], load: IDLE_LOAD })),
    { vnodesPerWeight: 64 },
  );
}
