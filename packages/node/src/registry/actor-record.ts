/**
 * Deployed actor types in the registry bucket: one record per type, under the key `actor/<type>` (function names
 * never contain `/`, so the two kinds of record never share a key).
 *
 * ```
 *  actor/<type> ─► { type, versions: [ { version, checksum, export, restores, tags, enabled, deployedBy, deployedAt } ] }
 * ```
 * The newest enabled version is the one a node defines for new activations (live actors move to it at their
 * next activation). `restores` is the snapshot compatibility rule (`@lucent/actors` `snapshot-version.ts`);
 * `tags` name the nodes that host the type (a node with one of them; empty = every node).
 */
import { ConfigError, DecodeError } from '@lucent/core/internal';
import { isChecksum, sortVersions } from './function-record.js';

/** The KV key prefix of actor records. */
export const ACTOR_KEY_PREFIX = 'actor/';

/** One deployed version of an actor type. */
export interface ActorVersion {
  readonly version: string;
  readonly checksum: string;
  /** The actor type inside the bundle. */
  readonly export: string;
  /** Snapshot versions it can restore. */
  readonly restores: readonly string[];
  /** Nodes that host it: those with one of these tags; empty = every node. */
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly deployedBy: string;
  readonly deployedAt: string;
}

/** Every deployed version of actor type `type`, ascending. */
export interface ActorRecord {
  readonly type: string;
  readonly versions: readonly ActorVersion[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeActorRecord(record: ActorRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

/** Decodes and checks an actor record; throws `DecodeError` otherwise. */
export function decodeActorRecord(bytes: Uint8Array): ActorRecord {
  const bad = (reason: string): never => {
    throw new DecodeError({ reason: `actor record: ${reason}`, byteLength: bytes.byteLength });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    return bad('not JSON');
  }
  const r = raw as { type?: unknown; versions?: unknown } | null;
  if (typeof r !== 'object' || r === null || typeof r.type !== 'string' || !Array.isArray(r.versions)) {
    return bad('not an actor record');
  }
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  const versions = r.versions.map((value): ActorVersion => {
    const v = value as Record<string, unknown>;
    if (typeof v !== 'object' || v === null) return bad('a version is not an object');
    for (const field of ['version', 'checksum', 'export', 'deployedBy', 'deployedAt']) {
      if (typeof v[field] !== 'string') bad(`${field} is not a string`);
    }
    if (!isChecksum(v.checksum as string)) bad('checksum is not a SHA-256 hex digest');
    if (!strings(v.restores) || !strings(v.tags) || typeof v.enabled !== 'boolean') bad('restores, tags or enabled');
    return Object.freeze({
      version: v.version as string,
      checksum: v.checksum as string,
      export: v.export as string,
      restores: Object.freeze([...(v.restores as string[])]),
      tags: Object.freeze([...(v.tags as string[])]),
      enabled: v.enabled as boolean,
      deployedBy: v.deployedBy as string,
      deployedAt: v.deployedAt as string,
    });
  });
  return Object.freeze({ type: r.type, versions: Object.freeze(sortVersions(versions)) });
}

/** The version new activations of `record`'s type use: the newest enabled one, or `undefined`. */
export function activeActorVersion(record: ActorRecord): ActorVersion | undefined {
  for (let i = record.versions.length - 1; i >= 0; i--) if (record.versions[i]!.enabled) return record.versions[i];
  return undefined;
}

/**
 * Adds `version` to the record of `type`: unchanged when the same version with the same code is there, a
 * `ConfigError` when it is there with other code (versions are immutable).
 */
export function deployActorVersion(
  type: string,
  record: ActorRecord | undefined,
  version: ActorVersion,
): { readonly record: ActorRecord; readonly changed: boolean } {
  const versions = record?.versions ?? [];
  const existing = versions.find((v) => v.version === version.version);
  if (existing !== undefined) {
    if (existing.checksum === version.checksum && existing.export === version.export) {
      return { record: record as ActorRecord, changed: false };
    }
    const reason = `actor ${type}@${version.version} is already deployed with other code; deploy it as a new --version`;
    throw new ConfigError({ subject: `actor:${type}`, field: 'version', reason });
  }
  const next = sortVersions([...versions, version]);
  return { record: Object.freeze({ type, versions: Object.freeze(next) }), changed: true };
}

/**
 * Turns `version` (every version when undefined) of an actor type on or off: the newest enabled one is what new
 * activations use. Throws `UnknownActorTypeError`-like `ConfigError` (field `version`) for a version the record lacks.
 */
export function setActorEnabled(
  record: ActorRecord,
  version: string | undefined,
  enabled: boolean,
): { readonly record: ActorRecord; readonly changed: boolean } {
  if (version !== undefined && !record.versions.some((v) => v.version === version)) {
    const reason = `actor ${record.type} has no deployed version '${version}'`;
    throw new ConfigError({ subject: `actor:${record.type}`, field: 'version', reason });
  }
  let changed = false;
  const versions = record.versions.map((v) => {
    if ((version !== undefined && v.version !== version) || v.enabled === enabled) return v;
    changed = true;
    return Object.freeze({ ...v, enabled });
  });
  return changed
    ? { record: Object.freeze({ type: record.type, versions: Object.freeze(versions) }), changed }
    : { record, changed };
}

/**
 * Disables the newest enabled version of an actor type and enables the one before it, in one record. Throws
 * `ConfigError` (field `rollback`) when no version is enabled or it is the oldest.
 */
export function rollbackActor(record: ActorRecord): { readonly record: ActorRecord; readonly changed: boolean } {
  const active = activeActorVersion(record);
  const index = active === undefined ? -1 : record.versions.indexOf(active);
  if (index <= 0) {
    const reason = index < 0 ? 'no version is enabled' : 'the enabled version is the oldest; nothing to go back to';
    throw new ConfigError({ subject: `actor:${record.type}`, field: 'rollback', reason });
  }
  const off = record.versions[index]!.version;
  const on = record.versions[index - 1]!.version;
  const versions = record.versions.map((v) =>
    v.version === off
      ? Object.freeze({ ...v, enabled: false })
      : v.version === on
        ? Object.freeze({ ...v, enabled: true })
        : v,
  );
  return { record: Object.freeze({ type: record.type, versions: Object.freeze(versions) }), changed: true };
}
