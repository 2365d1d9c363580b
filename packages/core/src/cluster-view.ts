import { ConfigError } from './errors.js';
import { hash32 } from './hash.js';
import { DEFAULT_VNODES_PER_WEIGHT, HashRing, type HashRingOptions } from './hash-ring.js';
import { HostRings } from './placement/host-rings.js';
import { placementTagOf } from './placement/placement-tag.js';
import { DEFAULT_LOAD_WEIGHTS, type LoadReport, type LoadWeights, shardLoad } from './scoring.js';

/**
 * The cluster as one router sees it: members with their tags and latest load reports, and the hash ring built
 * from the same membership. Pure data, rebuilt (not mutated) when membership or loads change, so a routing
 * decision reads one consistent snapshot. Routing strategies are functions of (message, view[, state]).
 */

/** A member as reported by membership (heartbeats) and metrics. */
export interface ClusterMember {
  readonly id: string;
  /** Specializations the shard serves (`pin` and `range` route by them), e.g. `['gpu', 'eu']`. */
  readonly tags: readonly string[];
  readonly load: LoadReport;
  /** Share of the hash ring relative to other members (default 1). */
  readonly weight?: number;
  /**
   * What the member hosts: `fn:<name>@<version>` and `actor:<type>` (heartbeats carry them). Absent: unknown,
   * the member is taken to host everything. Placement of an actor type or a function uses only its hosts.
   */
  readonly modules?: readonly string[] | undefined;
}

/** A member with what routing derives from it once per view instead of once per message. */
export interface MemberView extends ClusterMember {
  /** Ring weight, defaulted to 1. */
  readonly weight: number;
  /** {@link shardLoad} of `load` with the view's load weights (0..1). */
  readonly loadScore: number;
  /** `hash32(id)`, for rendezvous choice among tagged shards. */
  readonly idHash: number;
  /** What it hosts (see {@link ClusterMember.modules}); `undefined` when unknown. */
  readonly modules: readonly string[] | undefined;
}

/** An immutable snapshot of the cluster for routing. */
export interface ClusterView {
  /** Members sorted by id (so every process iterates them in the same order). */
  readonly members: readonly MemberView[];
  readonly byId: ReadonlyMap<string, MemberView>;
  /** Members carrying each tag, sorted by id. */
  readonly byTag: ReadonlyMap<string, readonly MemberView[]>;
  /** Ring over the members (with their weights). Treat as read-only: the view owns it. */
  readonly ring: HashRing;
  /** One ring per actor type and function, over the members that host it (`placement/host-rings.ts`). */
  readonly hostRings: HostRings;
  readonly loadWeights: LoadWeights;
  /**
   * Fingerprint of what `hash` placement reads (members, weights, what they host; not loads): views with equal
   * tags place every key alike (`placement/placement-tag.ts`). A subject token.
   */
  readonly placementTag: string;
}

/** Options of {@link createClusterView}. */
export interface ClusterViewOptions extends HashRingOptions {
  /** Weights of the load score; default {@link DEFAULT_LOAD_WEIGHTS}. */
  readonly loadWeights?: LoadWeights;
}

/**
 * Builds a view (and its ring) from members. O(members × vnodes) for the ring, lazily on its first lookup;
 * call it on membership changes and {@link withLoadReports} on load updates.
 * @throws ConfigError on a duplicate member id or an invalid ring weight.
 */
export function createClusterView(members: Iterable<ClusterMember>, options: ClusterViewOptions = {}): ClusterView {
  const loadWeights = options.loadWeights ?? DEFAULT_LOAD_WEIGHTS;
  const list = [...members];
  const ring = new HashRing(
    [],
    options.vnodesPerWeight === undefined ? {} : { vnodesPerWeight: options.vnodesPerWeight },
  );
  const seen = new Set<string>();
  for (const member of list) {
    if (seen.has(member.id)) {
      throw new ConfigError({ subject: 'ClusterView', field: 'members', reason: `duplicate member id '${member.id}'` });
    }
    seen.add(member.id);
    ring.add(member.id, member.weight ?? 1);
  }
  const views = list.map((member) => toMemberView(member, loadWeights, hash32(member.id)));
  const ringOptions = options.vnodesPerWeight === undefined ? {} : { vnodesPerWeight: options.vnodesPerWeight };
  const tag = placementTagOf(views, options.vnodesPerWeight ?? DEFAULT_VNODES_PER_WEIGHT);
  return assemble(views, ring, new HostRings(views, ring, ringOptions), loadWeights, tag);
}

/**
 * A new view with updated load reports (by member id), sharing the ring of `view`. Reports for unknown ids are
 * ignored (the member left); members without a new report keep theirs.
 */
export function withLoadReports(view: ClusterView, reports: ReadonlyMap<string, LoadReport>): ClusterView {
  const members = view.members.map((member) => {
    const load = reports.get(member.id);
    return load === undefined ? member : toMemberView({ ...member, load }, view.loadWeights, member.idHash);
  });
  return assemble(members, view.ring, view.hostRings, view.loadWeights, view.placementTag);
}

/**
 * The part of `view` whose members pass `keep` (order kept), placed on `ring` (the ring of those members, from
 * `view.hostRings`); `view` itself when every member passes. Shares `view`'s member objects, load weights and host
 * rings. Used by placement to choose among one function's hosts (`placement/function-hosts.ts`).
 */
export function restrictView(view: ClusterView, keep: (member: MemberView) => boolean, ring: HashRing): ClusterView {
  const members = view.members.filter(keep);
  if (members.length === view.members.length) return view;
  return assemble(members, ring, view.hostRings, view.loadWeights, view.placementTag);
}

function toMemberView(member: ClusterMember, loadWeights: LoadWeights, idHash: number): MemberView {
  // Every field set, in one order: one hidden class for all members.
  return Object.freeze({
    id: member.id,
    tags: Object.freeze([...member.tags]),
    load: Object.freeze({ ...member.load }),
    weight: member.weight ?? 1,
    loadScore: shardLoad(member.load, loadWeights),
    idHash,
    modules: member.modules === undefined ? undefined : Object.freeze([...member.modules]),
  });
}

function assemble(
  members: MemberView[],
  ring: HashRing,
  hostRings: HostRings,
  loadWeights: LoadWeights,
  placementTag: string,
): ClusterView {
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map<string, MemberView>();
  const byTag = new Map<string, MemberView[]>();
  for (const member of members) {
    byId.set(member.id, member);
    for (const tag of member.tags) {
      const tagged = byTag.get(tag);
      if (tagged === undefined) byTag.set(tag, [member]);
      else if (tagged.at(-1) !== member) tagged.push(member);
    }
  }
  return Object.freeze({ members: Object.freeze(members), byId, byTag, ring, hostRings, loadWeights, placementTag });
}
