/**
 * The fencing write on an actor's state key: the step between acquiring its lease and loading its snapshot that
 * makes every later write of a previous owner fail (the argument is in `lease-activation-guard.ts`).
 *
 * ```
 *  load(k) ─► { v, r } | null ─► save(k, v, r) (or save(k, null, null) when absent) ─ok─► fenced at a new revision
 *                                       │ ConflictError: the previous owner wrote in between
 *                                       └──────────────► read again (up to `maxRounds`)
 * ```
 * It writes back exactly what it read, so the state does not change; only its revision moves. `null` stands for
 * "no snapshot" (function actors read it so).
 */
import type { StateStore } from '@lucent/actors/internal';
import { ConflictError } from '@lucent/core/internal';

/** Default {@link fenceState} rounds: each lost round means the previous owner wrote in between. */
export const DEFAULT_FENCE_ROUNDS = 5;

/**
 * Bumps the revision of `key` in `store` without changing its value and resolves with the new revision. Rejects
 * with `ConflictError` when the key moved on every one of `maxRounds` rounds, or with the store's error.
 */
export async function fenceState(store: StateStore, key: string, maxRounds = DEFAULT_FENCE_ROUNDS): Promise<number> {
  let lastError: unknown;
  for (let round = 0; round < maxRounds; round++) {
    const stored = await store.load(key);
    try {
      return await store.save(key, stored === null ? null : stored.snapshot, stored === null ? null : stored.revision);
    } catch (error) {
      if (!ConflictError.is(error)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}
