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
import { chooseVersion } from './version-choice.js';

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
  /** Routable versions per function, for one view object (views are immutable and replaced on change). */
  #routableView: ClusterView | undefined = undefined;
  readonly #routable = new Map<string, ReadonlySet<string>>();

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
    const routable = this.#routableOf(ref);
    const chosen = chooseVersion(record, this.#tags, (version) => routable.has(version), this.#random());
    return chosen === undefined ? ref : `${ref}@${chosen.version}`;
  }

  stop(): void {
    this.#watch?.stop();
  }

  #routableOf(name: string): ReadonlySet<string> {
    const view = this.#view.current();
    if (view !== this.#routableView) {
      this.#routableView = view;
      this.#routable.clear();
    }
    let routable = this.#routable.get(name);
    if (routable === undefined) {
      routable = routableVersions(name, view);
      this.#routable.set(name, routable);
    }
    return routable;
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
