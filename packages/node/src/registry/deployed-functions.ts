/**
 * The deployed functions of one node: which versions are loaded, in which pool, and how a call reaches them.
 * The node's registry extension feeds it the registry's records; it loads what they name and retires what they
 * no longer name.
 *
 * ```
 *  records ─► wanted versions (name@version ─► checksum, export)
 *     new checksum ─► store.getModule (sha256 checked) ─► <cache>/<checksum>.mjs ─► import here (metadata)
 *     new version  ─► loaded into the warm deployed workers (`pool/module-pool.ts`: each worker imports the
 *                     bundle once; no thread starts) ─► added to the node's registry (then advertised)
 *     enabled flag ─► the node's registry enable/disable (a bare name resolves to the newest enabled version)
 *     retired      ─► removed from the record, or disabled and not the rollback target (versionsToKeepLoaded):
 *                     disabled here, no longer advertised; unloaded from the workers once the calls running on
 *                     it have finished, then its bundle file removed unless a kept version uses it
 *     bad bytes    ─► ModuleChecksumError reported, nothing loaded, the rest goes on
 *  call(name) ─► a deployed function by bare name? name@version by weight among its enabled, loaded versions
 *                (serving an event: among those that handle its type)
 *  call(ref)  ─► a deployed version? its pool (a lane named by the deployed id) : the static runner
 * ```
 * Only a registry record makes a node load code, and only from the module store by the record's checksum.
 */
import type { Clock, FunctionDefinition, FunctionRegistry, LucentError } from '@lucent/core/internal';
import { toLucentError } from '@lucent/core/internal';
import { asPromise, callNow } from '../pool/call-now.js';
import type { FunctionPool } from '../pool/function-pool.js';
import { ModulePool, type ModulePoolOptions } from '../pool/module-pool.js';
import { toModuleUrl } from '../pool/worker-location.js';
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
  /** Worker threads the deployed versions share (per memory class). */
  readonly threads: number;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  /**
   * What the node's own pool is given too, so a deployed version runs as a `--functions` one does: `ctx.shard`,
   * the workers' log level, the queue bound.
   */
  readonly pool?: Pick<ModulePoolOptions, 'shard' | 'logLevel' | 'maxQueuedCalls' | 'resourceLimits'>;
  /** A version could not be loaded (it stays unloaded; the node keeps serving the others). */
  readonly onRefused: (ref: string, checksum: string, error: LucentError) => void;
  /** A retired version's calls have finished and every worker has unloaded it. */
  readonly onRetired?: (ref: string) => void;
}

/** A bundle this node holds: its file, and the definitions the main thread read from it (metadata). */
interface LoadedBundle {
  /** `file:` URL of the bundle file: what the workers import. */
  readonly url: string;
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
    /** The version's pool (one lane, named by its deployed id) on the node's warm deployed workers. */
    readonly pool: FunctionPool,
    readonly checksum: string,
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
  #choices = new Map<string, PreparedChoice>();
  /** Per event type and function name, the same choice among the versions that handle the type. */
  #eventChoices = new Map<string, Map<string, PreparedChoice>>();
  /** Deployed definitions made so far, by id (reused when a retired version is loaded again). */
  readonly #definitions = new Map<string, FunctionDefinition>();
  /** Retired versions still unloading (their calls finishing), by id: loaded again only after. */
  readonly #retiring = new Map<string, Promise<void>>();
  /** Bundle files being removed, by checksum. */
  readonly #removing = new Map<string, Promise<void>>();
  /** The warm workers every deployed version loads into (started with the first one). */
  #pool: ModulePool | undefined = undefined;
  /** A load failed for a reason that may pass (the store did not answer): worth applying again later. */
  retryWanted = false;

  constructor(options: DeployedFunctionsOptions) {
    this.#o = options;
  }

  /** Deployed ids loaded here (`name@version`), sorted. */
  get loaded(): string[] {
    return [...this.#versions.keys()].sort();
  }

  /** Worker threads the deployed versions run on now, and how many were ever started (a swap starts none). */
  get workers(): { readonly threads: number; readonly started: number } {
    return { threads: this.#pool?.threads ?? 0, started: this.#pool?.workerStarts ?? 0 };
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
    this.#prepareChoices(records);
  }

  /** The weighted choices of bare names: over all loaded versions, and per event type over those handling it. */
  #prepareChoices(records: ReadonlyMap<string, FunctionRecord>): void {
    const choices = new Map<string, PreparedChoice>();
    const eventChoices = new Map<string, Map<string, PreparedChoice>>();
    for (const record of records.values()) {
      const loaded = (version: string) => this.#versions.has(`${record.name}@${version}`);
      const choice = prepareChoice(record, loaded);
      if (choice === undefined) continue;
      choices.set(record.name, choice);
      const types = new Set(choice.choice.versions.flatMap((v) => this.#handles(`${record.name}@${v.version}`)));
      for (const type of types) {
        const handling = (version: string) =>
          loaded(version) && this.#handles(`${record.name}@${version}`).includes(type);
        const forType = prepareChoice(record, handling);
        if (forType === undefined) continue;
        const byName = eventChoices.get(type) ?? new Map<string, PreparedChoice>();
        byName.set(record.name, forType);
        eventChoices.set(type, byName);
      }
    }
    this.#choices = choices;
    this.#eventChoices = eventChoices;
  }

  #handles(id: string): readonly string[] {
    return this.#definitions.get(id)?.handles ?? [];
  }

  #retireUnwanted(wanted: ReadonlySet<string>): void {
    const { functions } = this.#o;
    for (const [id, loaded] of this.#versions) {
      if (wanted.has(id)) continue;
      // Retired (removed, or disabled and not the rollback target): no new calls reach it here; it is unloaded
      // from the workers once the calls running on it have finished, and its bundle file removed once no kept
      // version uses it.
      if (functions.has(id)) functions.disable(id);
      this.#versions.delete(id);
      this.#retire(id, loaded.checksum);
    }
  }

  /** Wraps the node's runner: deployed versions run in the deployed pool, everything else in `base`. */
  runner(base: FunctionRunner): FunctionRunner {
    const functions = this.#o.functions;
    const versions = this.#versions;
    // `--functions` calls may answer synchronously (`pool/call-now.ts`); deployed versions answer with a promise.
    const callHere = (target: string, input: unknown, options?: RunOptions): unknown => {
      // Nothing deployed here: `--functions` calls pay one size check.
      if (versions.size === 0) return callNow(base, target, input, options);
      const ref = this.#resolve(target, options?.eventType);
      const definition = functions.find(ref);
      const loaded = definition === undefined ? undefined : versions.get(definition.id);
      if (loaded === undefined) return callNow(base, ref, input, options);
      loaded.calls++;
      return loaded.pool.call(definition!.id, input, options).catch(loaded.countError);
    };
    return {
      call: <O = unknown>(target: string, input: unknown, options?: RunOptions): Promise<O> =>
        asPromise<O>(callHere(target, input, options)),
      callNow: callHere,
    };
  }

  /**
   * `name@version` by weight for a bare deployed name (see `#choices`), among the versions that handle
   * `eventType` when the call serves an event; anything else as is.
   */
  #resolve(ref: string, eventType: string | undefined): string {
    if (this.#choices.size === 0 || ref.includes('@')) return ref;
    const prepared = eventType === undefined ? this.#choices.get(ref) : this.#eventChoices.get(eventType)?.get(ref);
    if (prepared === undefined) return ref;
    const chosen = prepared.choice.pick(Math.random());
    return chosen === undefined ? ref : (prepared.refs.get(chosen.version) ?? ref);
  }

  /** Closes the deployed pool (the running calls end or fail `ShuttingDownError` after the close timeout). */
  async close(): Promise<void> {
    this.#versions.clear();
    await Promise.allSettled(this.#retiring.values());
    await this.#pool?.close();
    this.#pool = undefined;
    this.#bundles.clear();
  }

  async #load(name: string, version: string, checksum: string, exportId: string): Promise<boolean> {
    const id = `${name}@${version}`;
    if (this.#refused.has(checksum)) return false;
    // Retired a moment ago and wanted again: let its unload end first (it would unbind the new load).
    await this.#retiring.get(id);
    let bundle: LoadedBundle | undefined;
    try {
      bundle = this.#bundles.get(checksum) ?? (await this.#loadBundle(checksum));
      // A user from now on, so a retirement finishing meanwhile keeps the file the workers are importing.
      bundle.users.add(id);
      const exported = bundle.exports.find(exportId);
      if (exported === undefined) throw new TypeError(`the bundle exports no function '${exportId}'`);
      // One definition object per id: adding the same object again is a no-op for the registry.
      let definition = this.#definitions.get(id);
      if (definition === undefined) {
        definition = deployedDefinition(exported, name, version);
        this.#definitions.set(id, definition);
      }
      // Loaded into the warm workers (each imports the bundle once): only then advertised and routed to.
      const pool = await this.#modulePool().load(definition, bundle.url, exportId);
      this.#o.functions.add(definition);
      this.#versions.set(id, new LoadedVersion(pool, checksum));
      return true;
    } catch (error) {
      bundle?.users.delete(id);
      if (bundle !== undefined && bundle.users.size === 0) await this.#forgetBundle(checksum, bundle);
      const failure = toLucentError(error, id);
      if (failure.code === 'LUCENT_MODULE_CHECKSUM') this.#refused.add(checksum);
      else if (isTransient(failure.code)) this.retryWanted = true;
      this.#o.onRefused(id, checksum, failure);
      return false;
    }
  }

  #modulePool(): ModulePool {
    this.#pool ??= new ModulePool({
      ...this.#o.pool,
      threads: this.#o.threads,
      closeTimeoutMs: this.#o.closeTimeoutMs,
      clock: this.#o.clock,
    });
    return this.#pool;
  }

  async #loadBundle(checksum: string): Promise<LoadedBundle> {
    // Its file being removed (retired a moment ago): let that end before writing it anew.
    await this.#removing.get(checksum);
    const bytes = await this.#o.source.getModule(checksum);
    const path = await writeBundleFile(this.#o.cacheDir, checksum, bytes);
    // The main thread reads the metadata (and runs `cpu: 'low'` handlers inline); the workers import it too.
    const exports = await loadBundleFunctions(path, `module ${checksum.slice(0, 12)}`);
    const bundle: LoadedBundle = { url: toModuleUrl(path), exports, users: new Set() };
    this.#bundles.set(checksum, bundle);
    return bundle;
  }

  /** Version `id` leaves the workers once idle; then its bundle's file goes unless a kept version uses it. */
  #retire(id: string, checksum: string): void {
    const bundle = this.#bundles.get(checksum);
    bundle?.users.delete(id);
    const retiring = (this.#pool?.unload(id) ?? Promise.resolve())
      .then(async () => {
        if (bundle !== undefined && bundle.users.size === 0) await this.#forgetBundle(checksum, bundle);
        this.#o.onRetired?.(id);
      })
      .finally(() => this.#retiring.delete(id));
    this.#retiring.set(id, retiring);
  }

  /** Drops `bundle` (no version uses it) and removes its file. */
  async #forgetBundle(checksum: string, bundle: LoadedBundle): Promise<void> {
    if (this.#bundles.get(checksum) !== bundle) return;
    this.#bundles.delete(checksum);
    const removing = removeBundleFile(this.#o.cacheDir, checksum).finally(() => this.#removing.delete(checksum));
    this.#removing.set(checksum, removing);
    await removing;
  }
}

/** A record's weighted choice among some of its versions, with each version's deployed id. */
interface PreparedChoice {
  readonly choice: VersionChoice;
  readonly refs: ReadonlyMap<string, string>;
}

/** The choice among the versions of `record` that `include` accepts (no caller tags); `undefined` when none. */
function prepareChoice(record: FunctionRecord, include: (version: string) => boolean): PreparedChoice | undefined {
  const choice = new VersionChoice(record, [], include);
  if (choice.versions.length === 0) return undefined;
  return { choice, refs: new Map(choice.versions.map((v) => [v.version, `${record.name}@${v.version}`])) };
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
