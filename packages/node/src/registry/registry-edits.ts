/**
 * The operator's changes to a {@link FunctionRecord}, as pure functions: record in, new record out (or a typed
 * error). The registry store writes the result as one KV revision (compare-and-set), so each command is atomic.
 *
 * ```
 *  deploy    add a version; the same version with the same code again = no change (deploys are idempotent)
 *  enable    fn@v: on for everyone (and for every tag);   --tags eu: on again for callers tagged eu
 *  disable   fn@v: off for everyone;                      --tags eu: off for callers tagged eu
 *            (fn without @v: every version)
 *  weight    fn@v w: its share of traffic among the versions a caller may reach
 *  rollback  the newest enabled version off, the version before it on, in one record
 * ```
 */
import { ConfigError, UnknownFunctionError } from '@lucent/core/internal';
import { type DeployedVersion, type FunctionRecord, sortVersions } from './function-record.js';

/** Weight of a version deployed without `--weight`, and of a rolled-back-to version that had none. */
export const DEFAULT_WEIGHT = 100;

/** A change's outcome: the new record, and whether it differs from the old one (a no-op is not written). */
export interface RecordEdit {
  readonly record: FunctionRecord;
  readonly changed: boolean;
}

/**
 * Adds `version` to the record of its function (`record` undefined: the first deploy). Deploying a version that
 * is already there with the same code (checksum and export) changes nothing; with other code it throws
 * `ConfigError` (field `version`): versions are immutable, deploy the new code as a new version.
 */
export function deployVersion(name: string, record: FunctionRecord | undefined, version: DeployedVersion): RecordEdit {
  const versions = record?.versions ?? [];
  const existing = versions.find((v) => v.version === version.version);
  if (existing !== undefined) {
    if (existing.checksum === version.checksum && existing.export === version.export) {
      return { record: record as FunctionRecord, changed: false };
    }
    throw new ConfigError({
      subject: `fn:${name}`,
      field: 'version',
      reason: `${name}@${version.version} is already deployed with other code; deploy it as a new --version`,
    });
  }
  return { record: freeze(name, [...versions, version]), changed: true };
}

/**
 * Turns `version` (or, when undefined, every version) on or off: for everyone, or with `tags` for callers
 * carrying one of them. Throws `UnknownFunctionError` for a version the record does not have.
 */
export function setEnabled(
  record: FunctionRecord,
  version: string | undefined,
  enabled: boolean,
  tags: readonly string[] = [],
): RecordEdit {
  const targets = targetsOf(record, version);
  return edit(record, targets, (v) => {
    if (tags.length === 0) return { ...v, enabled, disabledTags: enabled ? [] : v.disabledTags };
    const disabledTags = enabled
      ? v.disabledTags.filter((tag) => !tags.includes(tag))
      : [...new Set([...v.disabledTags, ...tags])].sort();
    return { ...v, disabledTags };
  });
}

/** Sets the traffic weight of `version` (≥ 0). Throws `ConfigError` for a bad weight, `UnknownFunctionError`. */
export function setWeight(record: FunctionRecord, version: string, weight: number): RecordEdit {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new ConfigError({ subject: `fn:${record.name}`, field: 'weight', reason: `must be ≥ 0, got ${weight}` });
  }
  return edit(record, targetsOf(record, version), (v) => ({ ...v, weight }));
}

/**
 * Disables the newest enabled version and enables the version before it (with {@link DEFAULT_WEIGHT} if its
 * weight was 0), in one record. Throws `ConfigError` (field `rollback`) when no version is enabled or the
 * newest enabled one is the oldest.
 */
export function rollback(record: FunctionRecord): RecordEdit {
  const versions = record.versions;
  let current = -1;
  for (let i = versions.length - 1; i >= 0; i--) {
    if (versions[i]!.enabled) {
      current = i;
      break;
    }
  }
  if (current <= 0) {
    const reason = current < 0 ? 'no version is enabled' : 'the enabled version is the oldest; nothing to go back to';
    throw new ConfigError({ subject: `fn:${record.name}`, field: 'rollback', reason });
  }
  const off = versions[current]!.version;
  const on = versions[current - 1]!.version;
  return edit(record, new Set([off, on]), (v) =>
    v.version === off
      ? { ...v, enabled: false }
      : { ...v, enabled: true, disabledTags: [], weight: v.weight > 0 ? v.weight : DEFAULT_WEIGHT },
  );
}

function targetsOf(record: FunctionRecord, version: string | undefined): Set<string> {
  if (version === undefined) return new Set(record.versions.map((v) => v.version));
  if (!record.versions.some((v) => v.version === version)) {
    throw new UnknownFunctionError({ name: `${record.name}@${version}` });
  }
  return new Set([version]);
}

function edit(
  record: FunctionRecord,
  targets: ReadonlySet<string>,
  change: (version: DeployedVersion) => DeployedVersion,
): RecordEdit {
  let changed = false;
  const versions = record.versions.map((v) => {
    if (!targets.has(v.version)) return v;
    const next = change(v);
    if (JSON.stringify(next) !== JSON.stringify(v)) changed = true;
    return next;
  });
  return changed ? { record: freeze(record.name, versions), changed } : { record, changed };
}

function freeze(name: string, versions: readonly DeployedVersion[]): FunctionRecord {
  return Object.freeze({ name, versions: Object.freeze(sortVersions(versions)) });
}
