/**
 * The deployed actor types of one node: for each actor record whose active version this node hosts (its tags),
 * the bundle is fetched by checksum, checked, imported on the main thread (actors run there), and its definition
 * given to the node's function actors under the record's type, version and `restores`.
 *
 * ```
 *  record ─► active version (newest enabled) ─► hosted here? (tags) ─► already defined? ─► done
 *        ─► getModule(checksum) (sha256 checked) ─► import ─► actors.define(type, version, restores)
 *           new activations use it; live actors keep theirs until they stop (passivation, hand-off)
 * ```
 * A refused module (bad checksum, no such actor type in it) is reported and the type stays as it was.
 */
import type { AnyActorDefinition, FunctionActors } from '@lucent/actors/internal';
import { type LucentError, toLucentError } from '@lucent/core/internal';
import { type ActorRecord, activeActorVersion } from './actor-record.js';
import { isTransient, type ModuleSource } from './deployed-functions.js';
import { loadBundleExports, writeBundleFile } from './module-bundle.js';

/** Options of {@link DeployedActors}. */
export interface DeployedActorsOptions {
  readonly actors: FunctionActors<readonly AnyActorDefinition[]>;
  readonly source: ModuleSource;
  readonly cacheDir: string;
  /** This node's tags: it hosts a version tagged for one of them (or untagged). */
  readonly nodeTags: readonly string[];
  readonly onRefused: (ref: string, checksum: string, error: LucentError) => void;
}

/** See the module doc. {@link apply} calls must not overlap. */
export class DeployedActors {
  readonly #o: DeployedActorsOptions;
  /** Type ─► the version defined here (version@checksum). */
  readonly #defined = new Map<string, string>();
  /** Type ─► the definition given to the node's actors. */
  readonly #definitions = new Map<string, AnyActorDefinition>();
  readonly #refused = new Set<string>();
  /** A load failed for a reason that may pass: worth applying again later. */
  retryWanted = false;

  constructor(options: DeployedActorsOptions) {
    this.#o = options;
  }

  /** Deployed actor types hosted here, sorted. */
  get types(): string[] {
    return [...this.#defined.keys()].sort();
  }

  /** The definitions of the deployed actor types hosted here (their subscriptions are consumed here too). */
  get definitions(): AnyActorDefinition[] {
    return [...this.#definitions.values()];
  }

  /** Defines the active version of every record this node hosts. Never rejects (failures go to `onRefused`). */
  async apply(records: ReadonlyMap<string, ActorRecord>): Promise<void> {
    this.retryWanted = false;
    for (const record of records.values()) {
      const active = activeActorVersion(record);
      if (active === undefined) continue;
      if (active.tags.length > 0 && !active.tags.some((tag) => this.#o.nodeTags.includes(tag))) continue;
      const stamp = `${active.version}@${active.checksum}`;
      if (this.#defined.get(record.type) === stamp || this.#refused.has(active.checksum)) continue;
      const ref = `actor:${record.type}@${active.version}`;
      try {
        const bytes = await this.#o.source.getModule(active.checksum);
        const path = await writeBundleFile(this.#o.cacheDir, active.checksum, bytes);
        const exported = await loadBundleExports(path, `module ${active.checksum.slice(0, 12)}`);
        const definition = exported.actors.find((actor) => actor.type === active.export);
        if (definition === undefined) throw new TypeError(`the bundle exports no actor type '${active.export}'`);
        const deployed = Object.freeze({
          ...definition,
          type: record.type,
          version: active.version,
          restores: active.restores,
        });
        this.#o.actors.define(deployed);
        this.#definitions.set(record.type, deployed);
        this.#defined.set(record.type, stamp);
      } catch (error) {
        const failure = toLucentError(error, ref);
        if (failure.code === 'LUCENT_MODULE_CHECKSUM') this.#refused.add(active.checksum);
        else if (isTransient(failure.code)) this.retryWanted = true;
        this.#o.onRefused(ref, active.checksum, failure);
      }
    }
  }
}
