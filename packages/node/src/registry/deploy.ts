/**
 * Deploying a module: bundle it, store the bundle by checksum, and record a version of each function and actor
 * type it exports in the registry. What `lucent deploy` runs.
 *
 * ```
 *  entry ─► bundleModule ─► bytes ─► putModule (object named by sha256; kept if there)
 *        ─► import the bundle here (metadata: names, versions, shardBy, handles)
 *        ─► per function: modify(name, deployVersion)   one CAS revision; the same code again = unchanged
 * ```
 * Nodes watching the registry then fetch the bundle by checksum, check it, load it into their warm pool workers and
 * advertise the version; callers route to it once every node hosting the function has it.
 */
import { hostname, userInfo } from 'node:os';
import { DEFAULT_ACTOR_VERSION } from '@lucent/actors/internal';
import { ConfigError, ConflictError } from '@lucent/core/internal';
import { type ActorVersion, deployActorVersion } from './actor-record.js';
import type { DeployedVersion } from './function-record.js';
import { type BundleExports, bundleModule, loadBundleExports, writeBundleFile } from './module-bundle.js';
import { openProcessCacheDir } from './module-cache-dir.js';
import { DEFAULT_WEIGHT, deployVersion } from './registry-edits.js';
import { type RegistryStore, sha256Hex } from './registry-store.js';

/** Options of {@link deployModule}. */
export interface DeployOptions {
  /** The module's entry file (`.ts`, `.js`, `.mjs`). */
  readonly entry: string;
  /** Deploy the (one) function the module exports under this name instead of its own. */
  readonly name?: string;
  /** Deploy as this version instead of the definitions' own. */
  readonly version?: string;
  /** Traffic weight of the new version (default {@link DEFAULT_WEIGHT}). */
  readonly weight?: number;
  /** Functions: serve only callers with one of these tags. Actor types: hosted by nodes with one of them. Default: all. */
  readonly tags?: readonly string[];
  /** Record the version disabled (turn it on later with `lucent enable`). */
  readonly disabled?: boolean;
  /** Who deploys (default `user@host`). */
  readonly deployedBy?: string;
  /** Cache root: the bundle is written under `<cacheDir>/<pid>` to read its metadata, and removed after. */
  readonly cacheDir: string;
  /** The deploy time (default now). */
  readonly now?: () => Date;
}

/** What a deploy did, per function. */
export interface DeployResult {
  readonly checksum: string;
  readonly bytes: number;
  readonly functions: readonly { readonly name: string; readonly version: string; readonly changed: boolean }[];
  /** Actor types deployed (`tags` then name the nodes that host them). */
  readonly actors: readonly { readonly name: string; readonly version: string; readonly changed: boolean }[];
}

/** Attempts per record when concurrent deploys of other versions race (deploys merge, so they retry). */
const DEPLOY_ATTEMPTS = 5;

/**
 * Deploys `options.entry` (see the module doc). Idempotent: the same sources with the same options change
 * nothing the second time. Rejects with `ConfigError` (the entry does not bundle or import, exports no function,
 * `--name` with several functions, a version already deployed with other code), or the store's errors.
 */
export async function deployModule(store: RegistryStore, options: DeployOptions): Promise<DeployResult> {
  const bytes = await bundleModule(options.entry);
  const checksum = sha256Hex(bytes);
  const what = `deploy '${options.entry}'`;
  const cache = await openProcessCacheDir(options.cacheDir);
  let exported: BundleExports;
  try {
    exported = await loadBundleExports(await writeBundleFile(cache.dir, checksum, bytes), what);
  } finally {
    // Imported (its module stays in memory): the file is no longer needed.
    await cache.remove();
  }
  const definitions = exported.functions.list();
  const named = [...definitions.map((d) => d.id), ...exported.actors.map((a) => `actor:${a.type}`)];
  if (options.name !== undefined && named.length > 1) {
    const reason = `--name renames one function or actor type; the module exports ${named.length} (${named.join(', ')})`;
    throw new ConfigError({ subject: what, field: 'name', reason });
  }
  await store.putModule(bytes);
  const deployedBy = options.deployedBy ?? defaultDeployer();
  const deployedAt = (options.now?.() ?? new Date()).toISOString();
  const functions: { name: string; version: string; changed: boolean }[] = [];
  for (const definition of definitions) {
    const name = options.name ?? definition.name;
    const entry: DeployedVersion = {
      version: options.version ?? definition.version,
      checksum,
      export: definition.id,
      weight: options.weight ?? DEFAULT_WEIGHT,
      tags: [...(options.tags ?? [])],
      enabled: options.disabled !== true,
      disabledTags: [],
      shardBy: definition.shardBy ?? null,
      handles: [...definition.handles],
      deployedBy,
      deployedAt,
    };
    const edit = await withRetries(() => store.modify(name, (record) => deployVersion(name, record, entry)));
    functions.push({ name, version: entry.version, changed: edit.changed });
  }
  const actors: { name: string; version: string; changed: boolean }[] = [];
  for (const definition of exported.actors) {
    const type = options.name ?? definition.type;
    const version = options.version ?? definition.version ?? DEFAULT_ACTOR_VERSION;
    const entry: ActorVersion = {
      version,
      checksum,
      export: definition.type,
      restores: [...(definition.restores ?? [version])],
      tags: [...(options.tags ?? [])],
      enabled: options.disabled !== true,
      deployedBy,
      deployedAt,
    };
    const edit = await withRetries(() => store.modifyActor(type, (record) => deployActorVersion(type, record, entry)));
    actors.push({ name: type, version, changed: edit.changed });
  }
  return { checksum, bytes: bytes.byteLength, functions, actors };
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!ConflictError.is(error) || i >= DEPLOY_ATTEMPTS) throw error;
    }
  }
}

function defaultDeployer(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}
