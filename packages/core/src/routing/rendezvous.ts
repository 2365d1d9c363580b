import type { MemberView } from '../cluster-view.js';
import { hash32, mix32 } from '../hash.js';
import { isOverloaded } from '../scoring.js';

/**
 * Chooses one of a few shards for `key` by rendezvous (highest random weight) hashing: each candidate scores
 * `mix32(hash32(key) ^ idHash)` and the highest wins. Consistent like the ring (a shard leaving moves only its
 * own keys; one joining takes ~1/(n+1)) but needs no ring per tag, and costs one string hash plus one mix per
 * candidate. Overloaded candidates are skipped, so their keys spread over the others until they recover.
 * Returns undefined when every candidate is overloaded (or there is none). Allocation-free.
 */
export function chooseByKey(candidates: readonly MemberView[], key: string): MemberView | undefined {
  const keyHash = hash32(key);
  let best: MemberView | undefined;
  let bestScore = -1;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    if (isOverloaded(candidate.loadScore)) continue;
    const score = mix32(keyHash ^ candidate.idHash);
    // Candidates are sorted by id, so a tie (probability 2^-32) keeps the smaller id everywhere.
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
