/**
 * The decision a node makes before it joins: may it take part in this cluster? Pure: what the node is (its id
 * and modules) and the members that answered its probe go in, a `ConfigError` saying what to fix comes out.
 *
 * ```
 *  a live member has this node's id           ─► refuse: another process runs as this shard
 *  a live member hosts other functions/actors ─► refuse: name what is missing here and what is only here
 *  no members (a standalone first node)       ─► join
 * ```
 * Why modules must match (for now): every node takes a share of one ring for every function key and actor
 * type, so a node without an actor type would answer `UnknownActorTypeError` for its share of that type's keys.
 * Until placement is per type (the registry issue), a mismatch is refused at start instead of failing calls.
 */
import { ConfigError, type FunctionRegistry } from '@lucent/core/internal';

/** What a member advertises in its heartbeats: `fn:<name>@<version>` and `actor:<type>`, sorted. */
export function modulesOf(functions: FunctionRegistry, actorTypes: readonly string[]): readonly string[] {
  const entries = [...functions.list().map((d) => `fn:${d.id}`), ...actorTypes.map((type) => `actor:${type}`)];
  return Object.freeze([...new Set(entries)].sort());
}

/** A member as the join check sees it. */
export interface JoinPeer {
  readonly id: string;
  readonly incarnation: number;
  readonly modules: readonly string[];
}

/** Most names listed per side in a mismatch message; the rest are counted. */
const MAX_LISTED = 8;

/**
 * The reason `self` must not join a cluster whose live members are `peers`, or `undefined` when it may.
 * `peers` may include `self`'s own id only when another process uses it (this process has not heartbeated yet).
 */
export function joinConflict(
  self: { readonly nodeId: string; readonly modules: readonly string[] },
  peers: readonly JoinPeer[],
): ConfigError | undefined {
  const subject = `shard '${self.nodeId}'`;
  const twin = peers.find((peer) => peer.id === self.nodeId);
  if (twin !== undefined) {
    return new ConfigError({
      subject,
      field: 'shard',
      reason:
        `another live process already runs as shard '${self.nodeId}' (incarnation ${twin.incarnation}); ` +
        'stop it first, or give this node another --shard id',
    });
  }
  const mine = new Set(self.modules);
  for (const peer of peers) {
    const theirs = new Set(peer.modules);
    const missing = peer.modules.filter((m) => !mine.has(m));
    const extra = self.modules.filter((m) => !theirs.has(m));
    if (missing.length === 0 && extra.length === 0) continue;
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing here: ${listed(missing)}`);
    if (extra.length > 0) parts.push(`only here: ${listed(extra)}`);
    return new ConfigError({
      subject,
      field: 'modules',
      reason:
        `its functions and actor types differ from live node '${peer.id}' (${parts.join('; ')}); ` +
        'start every node of a cluster with the same --functions and --actors modules',
    });
  }
  return undefined;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}
