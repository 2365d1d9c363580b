/**
 * A client's copy of the deployed registry: it watches the registry bucket and picks the version a call by
 * bare name goes to, for this client's tags.
 *
 * ```
 *  call('quote') ─► record of quote? no ─► 'quote' (the serving node's active version)
 *                                   yes ─► versions routable in the view: loaded on every node hosting quote
 *                                          ─► chooseVersion(record, tags, routable, random draw) ─► 'quote@2'
 *  call('quote@1') ─► as is
 * ```
 * "Routable" comes from the membership view: a node advertises `fn:quote@2` in its heartbeats once its workers
 * have loaded version 2. A new version thus gets traffic only when every node that could receive the call can
 * serve it, which is what keeps a hot swap free of failed calls; a node that refused the module (bad checksum)
 * keeps the version unroutable.
 */
import type { ClusterView, ViewSource } from '@lucent/core/internal';
import type { NatsConnection } from 'nats';
import type { FunctionRecord } from './function-record.js';
import { RegistryStore, type RegistryWatch } from './registry-store.js';
import { VersionChoice } from './version-choice.js';

/** A prepared choice with the `name@version` strings it answers, built once per record and view. */
interface PreparedChoice {
  readonly record: FunctionRecord;
  readonly choice: VersionChoice;
  readonly refs: ReadonlyMap<string, string>;
}

/** Options of {@link RegistryFollower.start}. */
export interface RegistryFollowerOptions {
  readonly cluster: string;
  /** This caller's tags: versions disabled for one of them are skipped, versions tagged for others too. */
  readonly tags?: readonly string[];
  /** The membership view (what each node has loaded). */
  readonly view: ViewSource;
  /** A number in [0, 1) per call; default `Math.random`. */
  readonly random?: () => number;
}

/** See the module doc. */
export class RegistryFollower {
  readonly #records = new Map<string, FunctionRecord>();
  readonly #tags: readonly string[];
  readonly #view: ViewSource;
  readonly #random: () => number;
  #watch: RegistryWatch | undefined = undefined;
  /** Prepared choices per function, for one view object (views are immutable and replaced on change). */
  #choicesView: ClusterView | undefined = undefined;
  readonly #choices = new Map<string, PreparedChoice>();

  private constructor(options: RegistryFollowerOptions) {
    this.#tags = options.tags ?? [];
    this.#view = options.view;
    this.#random = options.random ?? Math.random;
  }

  /** Opens the registry of `options.cluster` on `nc`, and resolves once its current records are here. */
  static async start(nc: NatsConnection, options: RegistryFollowerOptions): Promise<RegistryFollower> {
    const follower = new RegistryFollower(options);
    const store = await RegistryStore.open(nc, { cluster: options.cluster });
    follower.#watch = await store.watch(
      (name, record) => {
        if (record === undefined) follower.#records.delete(name);
        else follower.#records.set(name, record);
      },
      () => {},
    );
    await follower.#watch.initialized;
    return follower;
  }

  /** The record of function `name` as last seen, or `undefined`. */
  record(name: string): FunctionRecord | undefined {
    return this.#records.get(name);
  }

  /** The reference a call of `ref` goes to: `name@version` chosen by weight for a deployed bare name, else `ref`. */
  resolve(ref: string): string {
    if (ref.includes('@')) return ref;
    const record = this.#records.get(ref);
    if (record === undefined) return ref;
    const prepared = this.#choiceOf(ref, record);
    const chosen = prepared.choice.pick(this.#random());
    return chosen === undefined ? ref : (prepared.refs.get(chosen.version) ?? ref);
  }

  stop(): void {
    this.#watch?.stop();
  }

  #choiceOf(name: string, record: FunctionRecord): PreparedChoice {
    const view = this.#view.current();
    if (view !== this.#choicesView) {
      this.#choicesView = view;
      this.#choices.clear();
    }
    let prepared = this.#choices.get(name);
    if (prepared === undefined || prepared.record !== record) {
      const routable = routableVersions(name, view);
      const choice = new VersionChoice(record, this.#tags, (version) => routable.has(version));
      const refs = new Map(choice.versions.map((v) => [v.version, `${name}@${v.version}`]));
      prepared = { record, choice, refs };
      this.#choices.set(name, prepared);
    }
    return prepared;
  }
}

/**
 * Versions of function `name` loaded on every member of `view` that hosts a version of it (empty when no member
 * does). Pure.
 */
export function routableVersions(name: string, view: ClusterView | undefined): Set<string> {
  const prefix = `fn:${name}@`;
  let routable: Set<string> | undefined;
  for (const member of view?.members ?? []) {
    const versions = (member.modules ?? []).filter((m) => m.startsWith(prefix)).map((m) => m.slice(prefix.length));
    if (versions.length === 0) continue;
    routable = routable === undefined ? new Set(versions) : new Set(versions.filter((v) => routable!.has(v)));
  }
  return routable ?? new Set();
}
