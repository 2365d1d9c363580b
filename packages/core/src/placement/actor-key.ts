/**
 * The one name of an actor across the cluster: `type/id`. It is the envelope target of tells and asks, the key
 * placed on the hash ring, and the key of the actor's state and activation lease. Actor types never contain `/`
 * (`defineActor` rejects it), so the first `/` separates type from id and ids may contain anything.
 */

/** The key of actor `id` of `type`: `${type}/${id}`. Allocates one string. */
export function actorKey(type: string, id: string): string {
  return `${type}/${id}`;
}

/**
 * Index of the `/` that separates type from id in an actor key, or -1 when `target` is not `type/id` (no
 * slash, or an empty type or id). Ids may themselves contain `/`: the first slash separates. Never throws.
 */
export function actorTargetSeparator(target: string): number {
  const slash = target.indexOf('/');
  return slash <= 0 || slash === target.length - 1 ? -1 : slash;
}
