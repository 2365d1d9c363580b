/**
 * The placement tag of a view: a short fingerprint of everything `hash` placement reads from a view (member ids,
 * ring weights, what each member hosts, and the ring's vnodes). Two views with the same tag place every key on
 * the same owner, so a node that receives a call its sender placed under the node's own tag knows, without
 * placing it again, that it owns the key.
 *
 * ```
 *  client view (tag T) ─ hash(k) → owner n1 ─► lucent.<c>.node.n1.T
 *  n1's view tag == T  ─► serve: same ring, same owner (no re-placement)
 *  n1's view tag != T  ─► place again, forward when another node owns k (a stale sender's view)
 * ```
 * Loads are not part of it: they never move a `hash` key. Two 32-bit murmur3 hashes (seeds 0 and 1) of the
 * canonical membership text, as one NATS subject token; computed once per view, never per message.
 */
import { hash32 } from '../hash.js';

/** What the tag reads of a member. */
export interface TaggedMember {
  readonly id: string;
  readonly weight: number;
  /** `undefined`: unknown (hosts everything), which differs from an empty list. */
  readonly modules: readonly string[] | undefined;
}

/**
 * The tag of a view of `members` on rings of `vnodesPerWeight` points per unit of weight: 14 characters of
 * `[0-9a-z]`, equal for equal membership whatever the order of members or of their modules.
 */
export function placementTagOf(members: readonly TaggedMember[], vnodesPerWeight: number): string {
  const parts = [...members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => `${m.id}\u0000${m.weight}\u0000${m.modules === undefined ? '*' : [...m.modules].sort().join(',')}`);
  const text = `${vnodesPerWeight}\u0001${parts.join('\u0001')}`;
  return hash32(text, 0).toString(36).padStart(7, '0') + hash32(text, 1).toString(36).padStart(7, '0');
}
