/**
 * What a drain (`lucent drain <node>`) tells the operator: the actors the node handed off and where each goes next,
 * plus the calls it finished on the way out. Pure: the actors stopped and the view in, the report out.
 *
 * The new owner of each actor is its ring owner in the view *without* the drained node (membership keeps its own
 * member in its view after leaving): that is where its next message activates it, with the state it just saved.
 */
import { actorKey, type ClusterView, createClusterView, PlacementType, placeActor } from '@lucent/core/internal';

/** Most actors listed one by one in a report (the count covers them all): the answer stays one NATS message. */
export const DRAIN_REPORT_LIMIT = 1_000;

/** One actor handed off, and the node its next message goes to (`null`: no node left hosts its type). */
export interface DrainedActor {
  readonly type: string;
  readonly id: string;
  readonly to: string | null;
}

/** The answer to the admin `drain` op. */
export interface DrainReport {
  readonly node: string;
  /** Actors that were active when the drain stopped them. */
  readonly total: number;
  /** The first {@link DRAIN_REPORT_LIMIT} of them. */
  readonly actors: readonly DrainedActor[];
  /** Actors that stopped with their final save (the rest hit the drain timeout). */
  readonly actorsSaved: number;
  /** In-flight calls that finished during the drain, and those the drain timeout cut off. */
  readonly callsDrained: number;
  readonly callsLeft: number;
}

/** The report of node `node`, which stopped `actors`, routed by `view` without it. */
export function drainReport(
  node: string,
  actors: readonly { readonly type: string; readonly id: string }[],
  view: ClusterView | undefined,
  counts: Pick<DrainReport, 'actorsSaved' | 'callsDrained' | 'callsLeft'>,
): DrainReport {
  const others =
    view === undefined ? undefined : createClusterView(view.members.filter((member) => member.id !== node));
  const listed = actors.slice(0, DRAIN_REPORT_LIMIT).map(({ type, id }): DrainedActor => {
    const placement = others === undefined ? undefined : placeActor(actorKey(type, id), others);
    return { type, id, to: placement?.type === PlacementType.Node ? placement.node : null };
  });
  return { node, total: actors.length, actors: listed, ...counts };
}
