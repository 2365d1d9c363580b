/**
 * One shared value per (transport or bus, cluster): the event log, the reminder store and the saga index are
 * opened once per connection and cluster, and their in-memory twins made once per bus and cluster, so everything
 * on one bus shares them as everything on one NATS server shares its streams and buckets.
 */

/** The value of (`owner`, `cluster`) in `cache`, made by `make` on first use. */
export function onePer<O extends object, V>(
  cache: WeakMap<O, Map<string, V>>,
  owner: O,
  cluster: string,
  make: () => V,
): V {
  let byCluster = cache.get(owner);
  if (byCluster === undefined) {
    byCluster = new Map();
    cache.set(owner, byCluster);
  }
  let value = byCluster.get(cluster);
  if (value === undefined) {
    value = make();
    byCluster.set(cluster, value);
  }
  return value;
}

/** Like {@link onePer} for an opening: a rejected one is forgotten, so the next call opens again. */
export function oneOpenPer<O extends object, V>(
  cache: WeakMap<O, Map<string, Promise<V>>>,
  owner: O,
  cluster: string,
  open: () => Promise<V>,
): Promise<V> {
  return onePer(cache, owner, cluster, () => {
    const opening = open();
    opening.catch(() => {
      if (cache.get(owner)?.get(cluster) === opening) cache.get(owner)?.delete(cluster);
    });
    return opening;
  });
}
