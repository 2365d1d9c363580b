/**
 * One hash ring per hosted thing: the ring of actor type `cart` holds only the members that host `cart`, the
 * ring of function `quote` only those that loaded a version of `quote`. A key is then never placed on a node
 * that would answer `UnknownActorTypeError` / `UnknownFunctionError` for it.
 *
 * ```
 *  member.modules   ['actor:cart', 'fn:quote@1', 'fn:quote@2']  ─► hosts  { actor:cart, fn:quote }
 *  ring('actor:cart')  members hosting actor:cart  ─► lazily built ring, cached in the view
 *                      nobody hosts it             ─► the view's full ring (the owner answers the typed error)
 *  uniform view (every member hosts the same things, or no member's modules are known)
 *                      ─► the full ring, no lookup at all (the common case costs nothing)
 * ```
 * A member whose `modules` are unknown (`undefined`: a hand-built view, an old peer) hosts everything, so views
 * built without module information place exactly as before.
 *
 * Cost: a uniform view answers with one field read. Otherwise one `Map.get` per placement (plus one string for
 * the type of an actor key); a ring is built once per group per view (views are rebuilt on membership change).
 */
import { HashRing, type HashRingOptions } from '../hash-ring.js';

/** A member as the host rings see it. */
export interface HostingMember {
  readonly id: string;
  readonly weight: number;
  /** `fn:<name>@<version>` and `actor:<type>` entries; `undefined` when unknown (hosts everything). */
  readonly modules: readonly string[] | undefined;
}

/** The group (`fn:<name>` or `actor:<type>`) a `modules` entry belongs to. */
export function hostGroupOf(entry: string): string {
  if (!entry.startsWith('fn:')) return entry;
  const at = entry.indexOf('@');
  return at < 0 ? entry : entry.slice(0, at);
}

/** The per-group rings of one view. Immutable from the outside; caches rings as they are asked for. */
export class HostRings {
  /** True when every group's ring is the full ring: placements skip the per-group lookup. */
  readonly uniform: boolean;
  readonly #full: HashRing;
  readonly #members: readonly HostingMember[];
  readonly #hosts: readonly (ReadonlySet<string> | undefined)[];
  /** Each member's groups by id (`undefined`: unknown, hosts everything). */
  readonly #hostsById = new Map<string, ReadonlySet<string> | undefined>();
  /** Groups at least one member advertises. */
  readonly #advertised = new Set<string>();
  /** Some member's modules are unknown: it hosts every group, so no group falls back to every member. */
  #anyUnknown = false;
  readonly #options: HashRingOptions;
  readonly #rings = new Map<string, HashRing>();
  readonly #actorRings = new Map<string, HashRing>();
  readonly #functionRings = new Map<string, HashRing>();

  constructor(members: readonly HostingMember[], full: HashRing, options: HashRingOptions = {}) {
    this.#full = full;
    // A copy: the caller (`createClusterView`) sorts its array afterwards, which must not shift `#hosts`' indexes.
    this.#members = [...members];
    this.#options = options;
    this.#hosts = members.map((member) =>
      member.modules === undefined ? undefined : new Set(member.modules.map(hostGroupOf)),
    );
    for (let i = 0; i < this.#members.length; i++) {
      const hosts = this.#hosts[i];
      this.#hostsById.set(this.#members[i]!.id, hosts);
      if (hosts === undefined) this.#anyUnknown = true;
      else for (const group of hosts) this.#advertised.add(group);
    }
    this.uniform = isUniform(this.#hosts);
  }

  /**
   * True when member `id` hosts `group` as the rings count it: it advertises the group, its modules are
   * unknown, or nobody hosts the group at all (then every member counts, as {@link ring} falls back to the full
   * ring). False for an id that is not a member.
   */
  hosts(id: string, group: string): boolean {
    if (!this.#hostsById.has(id)) return false;
    const hosts = this.#hostsById.get(id);
    if (hosts === undefined || hosts.has(group)) return true;
    return !this.#anyUnknown && !this.#advertised.has(group);
  }

  /** The ring of `group` (`fn:<name>` or `actor:<type>`); the full ring when the view is uniform or nobody hosts it. */
  ring(group: string): HashRing {
    if (this.uniform) return this.#full;
    let ring = this.#rings.get(group);
    if (ring === undefined) {
      ring = this.#build(group);
      this.#rings.set(group, ring);
    }
    return ring;
  }

  /** The ring of actor type `type` (a cache keyed by the type, so the hot path builds no `actor:` string). */
  actorRing(type: string): HashRing {
    if (this.uniform) return this.#full;
    let ring = this.#actorRings.get(type);
    if (ring === undefined) {
      ring = this.ring(`actor:${type}`);
      this.#actorRings.set(type, ring);
    }
    return ring;
  }

  /** The ring of function `name` (cached by name, like {@link actorRing}). */
  functionRing(name: string): HashRing {
    if (this.uniform) return this.#full;
    let ring = this.#functionRings.get(name);
    if (ring === undefined) {
      ring = this.ring(`fn:${name}`);
      this.#functionRings.set(name, ring);
    }
    return ring;
  }

  /** Ids of the members that host `group` (every member when the view is uniform or nobody hosts it). */
  hostsOf(group: string): string[] {
    const ids = this.#members.filter((_, i) => this.#hosts[i]?.has(group) !== false).map((member) => member.id);
    return ids.length === 0 ? this.#members.map((member) => member.id) : ids;
  }

  #build(group: string): HashRing {
    const ring = new HashRing([], this.#options);
    for (let i = 0; i < this.#members.length; i++) {
      const hosts = this.#hosts[i];
      const member = this.#members[i]!;
      if (hosts === undefined || hosts.has(group)) ring.add(member.id, member.weight);
    }
    return ring.size === 0 ? this.#full : ring;
  }
}

/** Every member unknown, or every member known and hosting the same groups. */
function isUniform(hosts: readonly (ReadonlySet<string> | undefined)[]): boolean {
  const first = hosts[0];
  if (first === undefined) return hosts.every((set) => set === undefined);
  for (const set of hosts) {
    if (set === undefined || set.size !== first.size) return false;
    for (const group of set) if (!first.has(group)) return false;
  }
  return true;
}
