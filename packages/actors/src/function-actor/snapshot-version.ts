/**
 * Which version of an actor type wrote a stored snapshot, and whether the running version may restore it.
 *
 * ```
 *  save   version '1' (the default) ─► stored as is (snapshots written before versions existed read as '1')
 *         any other version         ─► { ...persisted, $lucentVersion: version }
 *  load   stored ─► (version, persisted) ─► version in definition.restores? ─► restore
 *                                                                  no ──────► SnapshotIncompatibleError
 * ```
 * The rule for deploying a new version of an actor type: declare in `restores` every snapshot version its machine
 * can restore (usually its own and the previous one). An actor whose snapshot it cannot restore does not start
 * from scratch: its activation fails with `SnapshotIncompatibleError` (lifecycle Recovering, then stopped), and
 * its state stays stored, untouched, for a version that can restore it.
 */
import { SnapshotIncompatibleError } from '@lucent/core/internal';
import { type AnyActorDefinition, DEFAULT_ACTOR_VERSION } from './define-actor.js';

/** The field of a stored snapshot that names the version that wrote it. */
export const VERSION_FIELD = '$lucentVersion';

/** `persisted` as stored by `version` (see the module doc): stamped unless it is the default version. */
export function withSnapshotVersion(persisted: unknown, version: string | undefined): unknown {
  if (version === undefined || version === DEFAULT_ACTOR_VERSION) return persisted;
  if (typeof persisted !== 'object' || persisted === null) return persisted;
  return { ...persisted, [VERSION_FIELD]: version };
}

/** The version that wrote `stored` and the value without its stamp. */
export function splitSnapshotVersion(stored: unknown): { readonly version: string; readonly stored: unknown } {
  if (typeof stored !== 'object' || stored === null || !(VERSION_FIELD in stored)) {
    return { version: DEFAULT_ACTOR_VERSION, stored };
  }
  const { [VERSION_FIELD]: version, ...rest } = stored as Record<string, unknown>;
  return { version: typeof version === 'string' ? version : DEFAULT_ACTOR_VERSION, stored: rest };
}

/**
 * Throws `SnapshotIncompatibleError` when `definition` cannot restore a snapshot of `snapshotVersion` (definitions
 * from bundles built before versions existed count as version '1', restoring '1').
 */
export function checkSnapshotVersion(definition: AnyActorDefinition, key: string, snapshotVersion: string): void {
  const version = definition.version ?? DEFAULT_ACTOR_VERSION;
  const restores = definition.restores ?? [version];
  if (restores.includes(snapshotVersion)) return;
  throw new SnapshotIncompatibleError({ actor: key, snapshotVersion, version, restores: [...restores] });
}
