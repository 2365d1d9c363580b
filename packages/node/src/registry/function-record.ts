/**
 * The deployed registry's data: one record per function name in the registry KV bucket, holding every deployed
 * version of it. One record per name makes every operator change (enable, disable, weight, rollback) one KV
 * revision, written with compare-and-set, so two operators racing get a `ConflictError` instead of a lost update.
 *
 * ```
 *  key fn name ─► { name, versions: [ { version, checksum, export, weight, tags, enabled, disabledTags,
 *                                       shardBy, handles, deployedBy, deployedAt }, … ] }   (ascending versions)
 * ```
 * `checksum` is the SHA-256 (hex) of the bundle and the name of its object in the module store: a node loads
 * the code only from there, only by that checksum, and refuses bytes that hash to anything else. `export` is the
 * definition's own id in the bundle (`name@version` as the module defines it), which may differ from the
 * deployed name and version (`lucent deploy --name --version`).
 *
 * Records are JSON: they are rare, small, and read by operators (`nats kv get`). Decoding checks every field,
 * since anyone with access to the bucket can write it.
 */
import { compareVersions, DecodeError } from '@lucent/core/internal';

/** One deployed version of a function. */
export interface DeployedVersion {
  readonly version: string;
  /** SHA-256 of the bundle, lowercase hex: the module store object's name. */
  readonly checksum: string;
  /** The definition's id inside the bundle (`name@version` as written in the module). */
  readonly export: string;
  /** Share of traffic among the versions a caller may reach (ratios matter; 0 = none). */
  readonly weight: number;
  /** Callers it serves: those with one of these tags; empty = every caller. */
  readonly tags: readonly string[];
  /** Off for everyone when false. */
  readonly enabled: boolean;
  /** Off for callers carrying one of these tags (`lucent disable fn@v --tags eu`). */
  readonly disabledTags: readonly string[];
  /** The definition's shard key path, `null` for an unkeyed function. */
  readonly shardBy: string | null;
  /** Event types the definition handles (the nodes that load the version consume them). */
  readonly handles: readonly string[];
  /** Who deployed it (user@host) and when (ISO time). */
  readonly deployedBy: string;
  readonly deployedAt: string;
}

/** Every deployed version of function `name`, ascending by {@link compareVersions}. */
export interface FunctionRecord {
  readonly name: string;
  readonly versions: readonly DeployedVersion[];
}

const CHECKSUM = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes stored for `record`. */
export function encodeFunctionRecord(record: FunctionRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

/** Decodes and checks a record. Throws `DecodeError` for anything that is not a well-formed record. */
export function decodeFunctionRecord(bytes: Uint8Array): FunctionRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    return bad('not JSON', bytes);
  }
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || !Array.isArray(r.versions)) {
    return bad('not a function record', bytes);
  }
  const versions = r.versions.map((v) => versionOf(v, bytes));
  return Object.freeze({ name: r.name, versions: Object.freeze(sortVersions(versions)) });
}

function versionOf(value: unknown, bytes: Uint8Array): DeployedVersion {
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null) return bad('a version is not an object', bytes);
  const text = (field: string): string => {
    const x = v[field];
    return typeof x === 'string' ? x : bad(`${field} is not a string`, bytes);
  };
  const list = (field: string): readonly string[] => {
    const x = v[field];
    if (!Array.isArray(x) || x.some((item) => typeof item !== 'string')) return bad(`${field} is not a list`, bytes);
    return Object.freeze([...(x as string[])]);
  };
  const checksum = text('checksum');
  if (!CHECKSUM.test(checksum)) return bad('checksum is not a SHA-256 hex digest', bytes);
  const weight = v.weight;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) return bad('weight', bytes);
  if (typeof v.enabled !== 'boolean') return bad('enabled is not a boolean', bytes);
  const shardBy = v.shardBy;
  if (shardBy !== null && typeof shardBy !== 'string') return bad('shardBy', bytes);
  return Object.freeze({
    version: text('version'),
    checksum,
    export: text('export'),
    weight,
    tags: list('tags'),
    enabled: v.enabled,
    disabledTags: list('disabledTags'),
    shardBy,
    handles: list('handles'),
    deployedBy: text('deployedBy'),
    deployedAt: text('deployedAt'),
  });
}

/** `versions` sorted ascending by version (a copy). */
export function sortVersions<V extends { readonly version: string }>(versions: readonly V[]): V[] {
  return [...versions].sort((a, b) => compareVersions(a.version, b.version));
}

/** True when `checksum` is a SHA-256 hex digest (what the module store names objects by). */
export function isChecksum(checksum: string): boolean {
  return CHECKSUM.test(checksum);
}

function bad(reason: string, bytes: Uint8Array): never {
  throw new DecodeError({ reason: `function record: ${reason}`, byteLength: bytes.byteLength });
}
