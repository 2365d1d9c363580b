/**
 * The deployed functions of one node: which versions are loaded, in which pool, and how a call reaches them.
 * The node's registry extension feeds it the registry's records; it loads what they name and retires what they
 * no longer name.
 *
 * ```
 *  records ─► wanted versions (name@version ─► checksum, export)
 *     new checksum ─► store.getModule (sha256 checked) ─► <cache>/<checksum>.mjs ─► import here (metadata)
 *                  ─► a pool of its own (workers import the bundle) ─► versions added to the node's registry
 *     enabled flag ─► the node's registry enable/disable (a bare name resolves to the newest enabled version)
 *     retired      ─► removed from the record, or disabled and not the rollback target (versionsToKeepLoaded):
 *                     disabled here, no longer advertised; its bundle's pool closes once no kept version uses it
 *                     (the calls running on it finish first), then its file is removed from the cache
 *     bad bytes    ─► ModuleChecksumError reported, nothing loaded, the rest goes on
 *  call(name) ─► a deployed function by bare name? name@version by weight among its enabled, loaded versions
 *  call(ref)  ─► a deployed version? its bundle's pool, by the id the bundle gives it : the static runner
 * ```
 * Only a registry record makes a node load code, and only from the module store by the record's checksum.
 */
import type { Clock, FunctionDefinition, FunctionRegistry, LucentError } from '@lucent/core/internal';
import { toLucentError } from '@lucent/core/internal';
import { asPromise, callNow } from '../pool/call-now.js';
import { createFunctionPool, type FunctionPool, type FunctionPoolOptions } from '../pool/function-pool.js';
import type { FunctionRunner, RunOptions } from '../router/function-runner.js';
import type { FunctionRecord } from './function-record.js';
import { loadBundleFunctions, removeBundleFile, writeBundleFile } from './module-bundle.js';
import { VersionChoice } from './version-choice.js';

/** Where deployed modules come from (the `RegistryStore`). */
export interface ModuleSource {
  /** The bytes of module `checksum`, already checked against it; rejects `ModuleChecksumError` otherwise. */
  getModule(checksum: string): Promise<Uint8Array>;
}

/** Options of {@link DeployedFunctions}. */
export interface DeployedFunctionsOptions {
  /** The node's registry: deployed versions are added to it (the router and membership read it). */
  readonly functions: FunctionRegistry;
  readonly source: ModuleSource;
  /** Directory of bundle files (this node's own: a retired bundle's file is removed from it). */
  readonly cacheDir: string;
  /** Worker threads per bundle. */
  readonly threads: number;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  /**
   * What the node's own pool is given too, so a deployed version runs as a `--functions` one does: `ctx.shard`,
   * the workers' log level, the queue bound.
   */
  readonly pool?: Pick<FunctionPoolOptions, 'shard' | 'logLevel' | 'maxQueuedCalls'>;
  /** A version could not be loaded (it stays unloaded; the node keeps serving the others). */
  readonly onRefused: (ref: string, checksum: string, error: LucentError) => void;
}

/** A loaded bundle: its pool and the deployed versions that run in it. */
interface LoadedBundle {
  readonly pool: FunctionPool;
  /** The bundle's own definitions, by their id in the bundle. */
  readonly exports: FunctionRegistry;
  /** Deployed ids (`name@version`) served by this bundle now. */
  readonly users: Set<string>;
}

/** A deployed version as loaded: where its calls go, and its call counters (for `lucent functions`). */
class LoadedVersion {
  calls = 0;
  errors = 0;
  /** Counts a failed call and passes the error on; bound once per version, not per call. */
  readonly countError = (error: unknown): never => {
    this.errors++;
    throw error;
  };

  constructor(
    readonly bundle: LoadedBundle,
    readonly checksum: string,
    /** The id to call in the bundle's pool. */
    readonly exportId: string,
  ) {}
}

/** Calls and failed calls of one deployed version on this node, since it was loaded. */
export interface VersionCounters {
  readonly ref: string;
  readonly calls: number;
  readonly errors: number;
}

/** See the module doc. One per node; {@link apply} calls must not overlap (the extension serializes them). */
export class DeployedFunctions {
  readonly #o: DeployedFunctionsOptions;
  readonly #bundles = new Map<string, LoadedBundle>();
  /** Deployed id ─► where it runs. */
  readonly #versions = new Map<string, LoadedVersion>();
  /** Checksums refused, so a record that does not change is not fetched again on every update. */
  readonly #refused = new Set<string>();
  /**
   * Per deployed function name, the weighted choice among its enabled, loaded versions (no caller tags): a call by
   * bare name from a caller that does not follow the registry is split by the weights here, on the serving node.
   */
  #choices = new Map<string, { readonly choice: VersionChoice; readonly refs: ReadonlyMap<string, string> }>();
  /** Deployed definitions made so far, by id (reused when a retired version is loaded again). */
  readonly #definitions = new Map<string, FunctionDefinition>();
  /** Retired bundles whose pool is closing: their file is removed after, unless they are loaded again. */
  readonly #retiring = new Map<string, Promise<void>>();
  /** A load failed for a reason that may pass (the store did not answer): worth applying again later. */
  retryWanted = false;

  constructor(options: DeployedFunctionsOptions) {
    this.#o = options;
  }

  /** Deployed ids loaded here (`name@version`), sorted. */
  get loaded(): string[] {
    return [...this.#versions.keys()].sort();
  }

  /** True when `id` is a deployed version (loaded now or before), false for `--functions` ones. */
  isDeployed(id: string): boolean {
    return this.#definitions.has(id);
  }

  /** True when deployed version `id` is loaded now (its pool runs it). */
  isLoaded(id: string): boolean {
    return this.#versions.has(id);
  }

  /** Call counters of every loaded version. */
  counters(): VersionCounters[] {
    return [...this.#versions].map(([ref, v]) => ({ ref, calls: v.calls, errors: v.errors }));
  }

  /**
   * Brings the loaded versions in line with `records` (every record of the registry). Never rejects: a version
   * that cannot be loaded is reported through `onRefused` and left out.
   */
  async apply(records: ReadonlyMap<string, FunctionRecord>): Promise<void> {
    const { functions } = this.#o;
    this.retryWanted = false;
    const wanted = new Set<string>();
    for (const record of records.values()) {
      const keep = versionsToKeepLoaded(record);
      for (const version of record.versions) {
        const id = `${record.name}@${version.version}`;
        if (!keep.has(version.version)) {
          // Registered once, it stays known: disabled, so a call pinned to it is refused, not run elsewhere.
          if (functions.has(id)) functions.disable(id);
          continue;
        }
        wanted.add(id);
        const loaded = this.#versions.get(id);
        if (
          loaded === undefined &&
          !(await this.#load(record.name, version.version, version.checksum, version.export))
        ) {
          continue;
        }
        if (version.enabled) functions.enable(id);
        else functions.disable(id);
      }
    }
    this.#retireUnwanted(wanted);
    const choices = new Map<string, { choice: VersionChoice; refs: Map<string, string> }>();
    for (const record of records.values()) {
      const choice = new VersionChoice(record, [], (version) => this.#versions.has(`${record.name}@${version}`));
      if (choice.versions.length === 0) continue;
      const refs = new Map(choice.versions.map((v) => [v.version, `${record.name}@${v.version}`]));
      choices.set(record.name, { choice, refs });
    }
    this.#choices = choices;
  }

  #retireUnwanted(wanted: ReadonlySet<string>): void {
    const { functions } = this.#o;
    for (const [id, loaded] of this.#versions) {
      if (wanted.has(id)) continue;
      // Retired (removed, or disabled and not the rollback target): no new calls reach it here; its pool closes
      // once no kept version uses it, after the calls running on it have finished.
      if (functions.has(id)) functions.disable(id);
      this.#versions.delete(id);
      loaded.bundle.users.delete(id);
      if (loaded.bundle.users.size === 0) this.#retire(loaded.checksum);
    }
  }

  /** Wraps the node's runner: deployed versions run in their bundle's pool, everything else in `base`. */
  runner(base: FunctionRunner): FunctionRunner {
    const functions = this.#o.functions;
    const versions = this.#versions;
    // `--functions` calls may answer synchronously (`pool/call-now.ts`); deployed versions answer with a promise.
    const callHere = (target: string, input: unknown, options?: RunOptions): unknown => {
      // Nothing deployed here: `--functions` calls pay one size check.
      if (versions.size === 0) return callNow(base, target, input, options);
      const ref = this.#resolve(target);
      const definition = functions.find(ref);
      const loaded = definition === undefined ? undefined : versions.get(definition.id);
      if (loaded === undefined) return callNow(base, ref, input, options);
      loaded.calls++;
      return loaded.bundle.pool.call(loaded.exportId, input, options).catch(loaded.countError);
    };
    return {
      call: <O = unknown>(target: string, input: unknown, options?: RunOptions): Promise<O> =>
        asPromise<O>(callHere(target, input, options)),
      callNow: callHere,
    };
  }

  /** `name@version` by weight for a bare deployed name (see `#choices`); anything else as is. */
  #resolve(ref: string): string {
    const prepared = this.#choices.size === 0 || ref.includes('@') ? undefined : this.#choices.get(ref);
    if (prepared === undefined) return ref;
    const chosen = prepared.choice.pick(Math.random());
    return chosen === undefined ? ref : (prepared.refs.get(chosen.version) ?? ref);
  }

  /** Closes every bundle's pool (their running calls end or fail `ShuttingDownError` after the close timeout). */
  async close(): Promise<void> {
    const pools = [...this.#bundles.values()].map((bundle) => bundle.pool.close());
    this.#bundles.clear();
    this.#versions.clear();
    await Promise.allSettled([...pools, ...this.#retiring.values()]);
  }

  async #load(name: string, version: string, checksum: string, exportId: string): Promise<boolean> {
    const id = `${name}@${version}`;
    if (this.#refused.has(checksum)) return false;
    try {
      const bundle = this.#bundles.get(checksum) ?? (await this.#loadBundle(checksum));
      const exported = bundle.exports.find(exportId);
      if (exported === undefined) throw new TypeError(`the bundle exports no function '${exportId}'`);
      // One definition object per id: adding the same object again is a no-op for the registry.
      let definition = this.#definitions.get(id);
      if (definition === undefined) {
        definition = deployedDefinition(exported, name, version);
        this.#definitions.set(id, definition);
      }
      this.#o.functions.add(definition);
      bundle.users.add(id);
      this.#versions.set(id, new LoadedVersion(bundle, checksum, exportId));
      return true;
    } catch (error) {
      const failure = toLucentError(error, id);
      if (failure.code === 'LUCENT_MODULE_CHECKSUM') this.#refused.add(checksum);
      else if (isTransient(failure.code)) this.retryWanted = true;
      this.#o.onRefused(id, checksum, failure);
      return false;
    }
  }

  async #loadBundle(checksum: string): Promise<LoadedBundle> {
    // Loaded again while its old pool closes: let that end (and its file go) before writing the file anew.
    await this.#retiring.get(checksum);
    const bytes = await this.#o.source.getModule(checksum);
    const path = await writeBundleFile(this.#o.cacheDir, checksum, bytes);
    const exports = await loadBundleFunctions(path, `module ${checksum.slice(0, 12)}`);
    const pool = await createFunctionPool({
      ...this.#o.pool,
      modules: [path],
      registry: exports,
      threads: this.#o.threads,
      closeTimeoutMs: this.#o.closeTimeoutMs,
      clock: this.#o.clock,
      // Ready means a worker has imported the bundle: only then is the version advertised and routed to.
      verifyWorkerStart: true,
    });
    const bundle: LoadedBundle = { pool, exports, users: new Set() };
    this.#bundles.set(checksum, bundle);
    return bundle;
  }

  #retire(checksum: string): void {
    const bundle = this.#bundles.get(checksum);
    if (bundle === undefined) return;
    this.#bundles.delete(checksum);
    const retiring = bundle.pool
      .close()
      .catch(() => undefined)
      .then(() => removeBundleFile(this.#o.cacheDir, checksum))
      .finally(() => this.#retiring.delete(checksum));
    this.#retiring.set(checksum, retiring);
  }
}

/**
 * `definition` as deployed: under the registry's name and version (which `lucent deploy --name/--version` may
 * set), with the bundle's code and metadata, its event handlers included (the node's durable consumers follow
 * the registry: `ShardContext.refreshEvents`).
 */
function deployedDefinition(definition: FunctionDefinition, name: string, version: string): FunctionDefinition {
  return Object.freeze({ ...definition, name, version, id: `${name}@${version}` });
}

/**
 * The versions of `record` a node keeps loaded: every enabled one, and the newest disabled one below the newest
 * enabled (what `lucent rollback` turns on again), so a rollback needs no load. The others are retired. Pure.
 */
export function versionsToKeepLoaded(record: FunctionRecord): Set<string> {
  const keep = new Set<string>();
  let newestEnabled = -1;
  record.versions.forEach((v, i) => {
    if (v.enabled) {
      keep.add(v.version);
      newestEnabled = i;
    }
  });
  for (let i = newestEnabled - 1; i >= 0; i--) {
    const v = record.versions[i]!;
    if (!v.enabled) {
      keep.add(v.version);
      break;
    }
  }
  return keep;
}

/** Codes of failures that may pass by themselves (JetStream busy or away), as opposed to bad modules. */
export function isTransient(code: string): boolean {
  return code === 'LUCENT_TIMEOUT' || code === 'LUCENT_NODE_UNAVAILABLE';
}
