/**
 * The decision a node makes before it joins: may it take part in this cluster? Pure: what the node is (its id)
 * and the members that answered its probe go in, a `ConfigError` saying what to fix comes out.
 *
 * ```
 *  a live member has this node's id           ─► refuse: another process runs as this shard
 *  otherwise (other modules are fine)         ─► join
 * ```
 * Nodes may host different functions and actor types: each actor type and function is placed on a ring of the
 * members that host it (`@lucent/core` `placement/host-rings.ts`), which is what the modules in heartbeats say.
 */
import { ConfigError, type FunctionRegistry } from '@lucent/core/internal';

/**
 * What a member advertises in its heartbeats: `fn:<name>@<version>` (of the functions `hosted` accepts, default
 * all) and `actor:<type>`, sorted.
 */
export function modulesOf(
  functions: FunctionRegistry,
  actorTypes: readonly string[],
  hosted: (id: string) => boolean = () => true,
): readonly string[] {
  const entries = [
    ...functions
      .list()
      .filter((d) => hosted(d.id))
      .map((d) => `fn:${d.id}`),
    ...actorTypes.map((type) => `actor:${type}`),
  ];
  return Object.freeze([...new Set(entries)].sort());
}

/** A member as the join check sees it. */
export interface JoinPeer {
  readonly id: string;
  readonly incarnation: number;
  readonly modules: readonly string[];
}

/**
 * The reason `self` must not join a cluster whose live members are `peers`, or `undefined` when it may.
 * `peers` may include `self`'s own id only when another process uses it (this process has not heartbeated yet).
 */
export function joinConflict(
  self: { readonly nodeId: string; readonly modules?: readonly string[] },
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
  return undefined;
}
