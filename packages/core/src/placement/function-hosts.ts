/**
 * The cluster as a choosing strategy (`roundRobin`, `leastLoaded`, `pin`, `range`, `sticky`) sees it for one
 * function: only the members that host a version of it (what they advertise in heartbeats: `fn:<name>@<version>`
 * of the versions they loaded, static `--functions` or deployed and enabled), so a strategy never picks a node
 * that would answer `UnknownFunctionError`. `hash` uses the function's host ring (`host-rings.ts`) for the same.
 *
 * ```
 *  view.hostRings.uniform (every member hosts the same, or modules unknown) ─► the view itself: no lookup
 *  otherwise ─► per (view, function name) a restricted view, built once and cached until the view is replaced
 *               (membership or load change), so a call pays one WeakMap and one Map lookup, no allocation
 * ```
 * A function nobody advertises keeps every member (as its ring does): the node that gets the call answers the
 * typed error.
 */
import { type ClusterView, restrictView } from '../cluster-view.js';

// Keyed by the view: a new view (membership or load reports changed) starts a new cache, an old one is collected.
const cache = new WeakMap<ClusterView, Map<string, ClusterView>>();

/** `view` restricted to the members hosting function `name` (see the module doc). Never throws. */
export function functionHostsView(view: ClusterView, name: string): ClusterView {
  const hostRings = view.hostRings;
  if (hostRings.uniform) return view;
  let byName = cache.get(view);
  if (byName === undefined) {
    byName = new Map();
    cache.set(view, byName);
  }
  let hosts = byName.get(name);
  if (hosts === undefined) {
    const group = `fn:${name}`;
    hosts = restrictView(view, (member) => hostRings.hosts(member.id, group), hostRings.functionRing(name));
    byName.set(name, hosts);
  }
  return hosts;
}
