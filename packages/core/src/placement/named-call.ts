/**
 * Where a call by function *name* goes when the caller has no definition (`client.call('quote', input)`): a node
 * that hosts the function, taken in turn, so the caller knows which node runs the call (and can retry it
 * elsewhere if that node dies). The node places it from there with the function's own strategy (a keyed call is
 * forwarded to its owner).
 *
 * ```
 *  ref 'quote'    members hosting any version of quote   ─► hosts[turn % n]
 *  ref 'quote@2'  members hosting quote@2                ─► hosts[turn % n]
 *  no view, or no member is known to host it              ─► any (the function's queue group)
 * ```
 * A member whose `modules` are unknown hosts everything (as on the host rings). Cost: the hosts of a ref are
 * listed once per view (views are rebuilt on membership change) and cached; a call then reads two maps.
 */
import type { ClusterView } from '../cluster-view.js';
import { hostGroupOf } from './host-rings.js';
import { ANY_NODE, nodePlacement, type Placement } from './placement.js';

const hostsByView = new WeakMap<ClusterView, Map<string, readonly string[]>>();

/** The function name of a ref (`quote@2` → `quote`). */
export function functionNameOfRef(ref: string): string {
  const at = ref.indexOf('@');
  return at < 0 ? ref : ref.slice(0, at);
}

/**
 * Ids of the members of `view` that host `ref` (`name`: any version; `name@version`: that version), in the view's
 * member order; empty when none is known to. Cached per view: do not mutate.
 */
export function hostsOfRef(ref: string, view: ClusterView): readonly string[] {
  let byRef = hostsByView.get(view);
  if (byRef === undefined) {
    byRef = new Map();
    hostsByView.set(view, byRef);
  }
  let hosts = byRef.get(ref);
  if (hosts === undefined) {
    const versioned = ref.includes('@');
    const wanted = `fn:${ref}`;
    const list: string[] = [];
    for (const member of view.members) {
      const modules = member.modules;
      if (modules === undefined || modules.some((m) => (versioned ? m : hostGroupOf(m)) === wanted)) {
        list.push(member.id);
      }
    }
    hosts = Object.freeze(list);
    byRef.set(ref, hosts);
  }
  return hosts;
}

/**
 * Where a call by name `ref` goes (see the module doc): the `turn`-th host (mod their number), or
 * {@link ANY_NODE} without a view or a known host. Never throws.
 */
export function placeNamedCall(ref: string, view: ClusterView | undefined, turn: number): Placement {
  if (view === undefined || view.members.length === 0) return ANY_NODE;
  const hosts = hostsOfRef(ref, view);
  if (hosts.length === 0) return ANY_NODE;
  return nodePlacement(hosts[turn % hosts.length]!);
}
