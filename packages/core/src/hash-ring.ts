import { ConfigError, NoCapacityError } from './errors.js';
import { hash32 } from './hash.js';

/**
 * Virtual nodes per unit of weight. Chosen by measurement on the project machine (murmur3, 100k keys `key-<i>`,
 * 100 random memberships per row, N = 128 nodes; lookups on 100k distinct keys, 2 cores shared with other work):
 *
 * ```
 *  vnodes | max/mean keys per node        | share of > 1.15 | join: moved·(N+1), p99 | lookup ns | build ms
 *     160 | median 1.22, p90 1.25         |  100 %          |          -             |   ~60     |    6
 *     512 | median 1.15, p90 1.19         |   45 %          |          -             |   ~75     |   20
 *    1024 | median 1.13, p90 1.16         |   10-15 %       |   1.15 (4 % > 1.1)     |   ~90     |   45
 *    2048 | median 1.11, p90 1.14         |    3-4 %        |   1.14 (1 % > 1.1)     |   ~95     |   90
 *    4096 | (not needed)                  |                 |                        |  ~240     |  190
 * ```
 * The sd of a node's arc share is ~1/sqrt(vnodes), and 100k keys add a sampling sd of sqrt(N/keys) (3.6 % at
 * N=128) that no vnode count removes: even a perfect ring exceeds 1.15 for ~0.2 % of memberships at N=128.
 * 2048 is the knee: at 4096 (512k points, 4 MB at 128 nodes) the arrays leave the cache and lookups triple.
 * For N <= 16 every row from 512 up stays under 1.10. Memory is ~12 B per point (4 point, 2 owner, 2-4 index,
 * 4 in the per-node cache that makes rebuilds cheap): ~3 MB at 128 nodes, of which lookups touch 2 MB.
 */
export const DEFAULT_VNODES_PER_WEIGHT = 2048;

/** Options of a {@link HashRing}. */
export interface HashRingOptions {
  /** Virtual nodes per unit of weight; default {@link DEFAULT_VNODES_PER_WEIGHT}. Every process must agree. */
  readonly vnodesPerWeight?: number;
}

const EMPTY_POINTS = new Uint32Array(0);
const EMPTY_OWNERS = new Uint16Array(0);
/** Owners are a Uint16Array (half the cache footprint of 32-bit indexes), so a ring holds at most this many nodes. */
export const MAX_RING_NODES = 65_536;

/**
 * A consistent-hash ring. Each node is placed at `round(weight * vnodesPerWeight)` points `hash32("<node>#<i>")`;
 * a key belongs to the first point clockwise from `hash32(key)`.
 *
 * ```
 *   points  [ 0x0a12 | 0x3f00 | 0x7c44 | 0xd001 ]   sorted Uint32Array
 *   owners  [   2    |   0    |   1    |   2    ]   index into nodes (sorted by id)
 *   index   bucket b = hash >>> shift -> first point >= b << shift   (narrows the binary search to ~1 point)
 * ```
 * The ring is a function of its membership (ids and weights) only: insertion order does not matter, and equal
 * points are ordered by node id, so every process builds the same ring. Points are rebuilt lazily on the first
 * lookup after a change (membership changes are rare); lookups allocate nothing.
 */
export class HashRing {
  readonly #vnodesPerWeight: number;
  readonly #weights = new Map<string, number>();
  // Each node's point hashes, kept so a rebuild after add/remove does not rehash everyone.
  readonly #nodePoints = new Map<string, Uint32Array>();
  #nodes: string[] = [];
  #dirty = false;
  #points: Uint32Array = EMPTY_POINTS;
  #owners: Uint16Array = EMPTY_OWNERS;
  #index: Uint32Array = new Uint32Array(2);
  #shift = 31;
  // Generation stamps per node index: `owners()` marks seen nodes without allocating a set.
  #seen: Uint32Array = EMPTY_POINTS;
  #generation = 0;

  /**
   * @param nodes initial members, as ids (weight 1) or `[id, weight]` pairs.
   * @throws ConfigError when `vnodesPerWeight` or a weight is not a positive finite number.
   */
  constructor(nodes: Iterable<string | readonly [string, number]> = [], options: HashRingOptions = {}) {
    const v = options.vnodesPerWeight ?? DEFAULT_VNODES_PER_WEIGHT;
    if (!Number.isInteger(v) || v < 1) {
      throw new ConfigError({ subject: 'HashRing', field: 'vnodesPerWeight', reason: `must be an integer >= 1` });
    }
    this.#vnodesPerWeight = v;
    for (const node of nodes) {
      if (typeof node === 'string') this.add(node);
      else this.add(node[0], node[1]);
    }
  }

  /** Member ids, sorted. The array is replaced (not mutated) on change, so a caller may keep a reference. */
  get nodes(): readonly string[] {
    return this.#nodes;
  }

  /** Number of member nodes. */
  get size(): number {
    return this.#nodes.length;
  }

  /** Number of points on the ring (sum of every node's virtual nodes). */
  get pointCount(): number {
    this.#build();
    return this.#points.length;
  }

  /** True when `node` is a member. */
  has(node: string): boolean {
    return this.#weights.has(node);
  }

  /** The weight `node` was added with, or undefined when it is not a member. */
  weightOf(node: string): number | undefined {
    return this.#weights.get(node);
  }

  /**
   * Adds `node` with `weight` (default 1), or changes its weight. Idempotent: adding a member with its current
   * weight changes nothing. Returns `this`.
   * @throws ConfigError when `weight` is not a positive finite number.
   */
  add(node: string, weight = 1): this {
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new ConfigError({ subject: `HashRing node ${node}`, field: 'weight', reason: 'must be > 0 and finite' });
    }
    if (this.#weights.get(node) === weight) return this;
    const isNew = !this.#weights.has(node);
    if (isNew && this.#nodes.length >= MAX_RING_NODES) {
      throw new ConfigError({ subject: 'HashRing', field: 'nodes', reason: `at most ${MAX_RING_NODES} nodes` });
    }
    this.#weights.set(node, weight);
    const count = Math.max(1, Math.round(weight * this.#vnodesPerWeight));
    const points = new Uint32Array(count);
    for (let i = 0; i < count; i++) points[i] = hash32(`${node}#${i}`);
    this.#nodePoints.set(node, points);
    if (isNew) this.#nodes = [...this.#nodes, node].sort(compareIds);
    this.#dirty = true;
    return this;
  }

  /** Removes `node`. Returns false (and changes nothing) when it was not a member. */
  remove(node: string): boolean {
    if (!this.#weights.delete(node)) return false;
    this.#nodePoints.delete(node);
    this.#nodes = this.#nodes.filter((n) => n !== node);
    this.#dirty = true;
    return true;
  }

  /**
   * The node that owns `key`. Allocation-free.
   * @throws NoCapacityError when the ring has no nodes.
   */
  owner(key: string): string {
    this.#build();
    if (this.#points.length === 0) throw new NoCapacityError({ target: key, reason: 'the hash ring has no nodes' });
    return this.#nodes[this.#owners[this.#locate(hash32(key))]!]!;
  }

  /**
   * The preference list of `key`: up to `n` DISTINCT nodes, walking clockwise from the key's point; the first is
   * {@link owner}. Shorter than `n` when the ring has fewer nodes (empty when it has none). Fills and returns
   * `out` (cleared first) so a caller can reuse one array and allocate nothing.
   */
  owners(key: string, n: number, out: string[] = []): string[] {
    out.length = 0;
    this.#build();
    const points = this.#points.length;
    const want = Math.min(n, this.#nodes.length);
    if (want <= 0) return out;
    const generation = this.#nextGeneration();
    let i = this.#locate(hash32(key));
    for (let walked = 0; walked < points && out.length < want; walked++) {
      const owner = this.#owners[i]!;
      if (this.#seen[owner] !== generation) {
        this.#seen[owner] = generation;
        out.push(this.#nodes[owner]!);
      }
      i = i + 1 === points ? 0 : i + 1;
    }
    return out;
  }

  /**
   * The exact fraction of the 32-bit hash space each node owns (sums to 1). For tests, benchmarks and
   * diagnostics; allocates a map.
   */
  shares(): Map<string, number> {
    this.#build();
    const out = new Map<string, number>();
    for (const node of this.#nodes) out.set(node, 0);
    const points = this.#points;
    if (points.length === 0) return out;
    const last = points.length - 1;
    for (let i = 0; i <= last; i++) {
      // Arc (previous point, this point]; the first point also owns the wrap-around arc past the last one.
      const arc = i === 0 ? points[0]! + 2 ** 32 - points[last]! : points[i]! - points[i - 1]!;
      const node = this.#nodes[this.#owners[i]!]!;
      out.set(node, out.get(node)! + arc / 2 ** 32);
    }
    return out;
  }

  /** Index of the first point >= `h`, wrapping to 0 past the last point. Requires a non-empty, built ring. */
  #locate(h: number): number {
    const bucket = h >>> this.#shift;
    let lo = this.#index[bucket]!;
    let hi = this.#index[bucket + 1]!;
    const points = this.#points;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  #nextGeneration(): number {
    this.#generation = (this.#generation + 1) >>> 0;
    if (this.#generation === 0) {
      this.#seen.fill(0);
      this.#generation = 1;
    }
    return this.#generation;
  }

  #build(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const nodes = this.#nodes;
    let total = 0;
    for (const node of nodes) total += this.#nodePoints.get(node)!.length;
    // Sort (point, node index) pairs as one float64 key: exact below 2^53, and the node index (ids are sorted)
    // breaks ties between equal points deterministically.
    const keys = new Float64Array(total);
    let k = 0;
    for (let n = 0; n < nodes.length; n++) {
      for (const point of this.#nodePoints.get(nodes[n]!)!) keys[k++] = point * 2 ** 20 + n;
    }
    keys.sort();
    const points = new Uint32Array(total);
    const owners = new Uint16Array(total);
    for (let i = 0; i < total; i++) {
      const key = keys[i]!;
      const point = Math.floor(key / 2 ** 20);
      points[i] = point;
      owners[i] = key - point * 2 ** 20;
    }
    // One to two points per bucket: the bucket narrows the binary search to a step or two, and the index
    // costs 2-4 bytes per point.
    const bits = Math.max(1, Math.min(24, Math.ceil(Math.log2(Math.max(2, total))) - 1));
    const shift = 32 - bits;
    const buckets = 2 ** bits;
    const index = new Uint32Array(buckets + 1);
    let p = 0;
    for (let b = 0; b <= buckets; b++) {
      const start = b * 2 ** shift;
      while (p < total && points[p]! < start) p++;
      index[b] = p;
    }
    this.#points = points;
    this.#owners = owners;
    this.#index = index;
    this.#shift = shift;
    this.#seen = new Uint32Array(nodes.length);
    this.#generation = 0;
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
