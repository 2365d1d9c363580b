/**
 * Where placement reads the cluster view from. Membership rebuilds its view on every change; a placement reads
 * `current()` once per decision, so one decision sees one consistent snapshot.
 */
import type { ClusterView } from '../cluster-view.js';

/** The live cluster view. `current()` is read once per placement decision. */
export interface ViewSource {
  /** The view to place with now; `undefined` while none is known (see `Placement`'s `unplaced`). */
  current(): ClusterView | undefined;
}

/**
 * A {@link ViewSource} reading the `view` property of `holder` at each decision (e.g. the node's `Membership`,
 * whose `view` is rebuilt on membership changes). Allocates one object here, nothing per read.
 */
export function viewSourceOf(holder: { readonly view: ClusterView | undefined }): ViewSource {
  return { current: () => holder.view };
}

/** A {@link ViewSource} that always returns `view` (tests, single-node setups, clients with a fixed topology). */
export function fixedViewSource(view: ClusterView | undefined): ViewSource {
  return { current: () => view };
}
