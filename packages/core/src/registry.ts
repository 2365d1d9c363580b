/**
 * The function registry of one node: which definitions exist (every version), which are enabled, and which one a
 * name or an event type resolves to. It is built from function modules, the same files the pool workers import.
 *
 * Resolution rules (all data, no code change needed to roll forward or back):
 * - `get('price')` is the *active* version: the highest enabled one (see {@link compareVersions}). Disabling
 *   `price@2` makes `price@1` active again.
 * - `get('price@1')` is exactly that version, enabled or it throws.
 * - `select('price', draw)` is what a call by bare name runs: the active version, unless several versions are
 *   enabled and one of them declares a `weight`; then `chooseFunction` picks by weight (A/B), priority and
 *   affinity (node tags), proportionally to `draw`. A disabled version is never selected.
 * - `handlersOf('OrderPlaced')` is the active version of every function that handles the event, so two versions
 *   of one function never both consume an event.
 *
 * Changes (add, enable, disable) are rare and rebuild the look-up tables; look-ups are one `Map.get` and allocate
 * nothing.
 */

import { functionsOf, hasDecoratedFunctions } from './decorators.js';
import { type FunctionDefinition, isFunctionDefinition } from './definition.js';
import { ConfigError, FunctionDisabledError, UnknownFunctionError } from './errors.js';
import { PRIORITIES, type Resources } from './resources.js';
import { chooseFunction, DEFAULT_FUNCTION_WEIGHTS, type FunctionCandidate } from './scoring.js';

/** A registered function as plain, msgpack- and JSON-safe data, for publishing to other nodes. */
export interface FunctionDescription {
  readonly name: string;
  readonly version: string;
  readonly id: string;
  readonly handles: string[];
  /** `null` for an unkeyed function. */
  readonly shardBy: string | null;
  readonly resources: Resources;
  readonly retry: { maxAttempts: number; backoffMs: number; multiplier: number; maxBackoffMs: number };
  readonly enabled: boolean;
  /** True for the version `get(name)` resolves to. */
  readonly active: boolean;
}

const NO_HANDLERS: readonly FunctionDefinition[] = Object.freeze([]);
const NO_TAGS: readonly string[] = Object.freeze([]);

/** A version as `chooseFunction` scores it: its weight, priority and affinity; load and resources alike. */
function candidateOf(def: FunctionDefinition, nodeTags: readonly string[]): FunctionCandidate {
  return {
    name: def.id,
    enabled: true,
    weight: def.weight ?? 1,
    load: 0,
    resource: 1,
    priority: PRIORITIES.indexOf(def.resources.priority) / (PRIORITIES.length - 1),
    affinity: def.affinity.some((tag) => nodeTags.includes(tag)) ? 1 : 0,
  };
}

/**
 * Orders versions: dot-separated segments compared left to right; all-digit segments compare as numbers
 * (`'2' < '10'`, `'1.9' < '1.10'`) and sort before other segments, which compare by code point; a version that
 * is a prefix of another comes first. A total order (a proper sort comparator): negative, zero or positive.
 */
export function compareVersions(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const order = compareSegments(as[i]!, bs[i]!);
    if (order !== 0) return order;
  }
  return as.length - bs.length;
}

const DIGITS = /^\d+$/;

function compareSegments(x: string, y: string): number {
  if (x === y) return 0;
  const xNumeric = DIGITS.test(x);
  const yNumeric = DIGITS.test(y);
  if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
  if (xNumeric) {
    // By length once leading zeros are gone, so huge numbers keep their order without precision loss.
    const xs = x.replace(/^0+(?=\d)/, '');
    const ys = y.replace(/^0+(?=\d)/, '');
    if (xs.length !== ys.length) return xs.length - ys.length;
    if (xs !== ys) return xs < ys ? -1 : 1;
  }
  // Same number written differently ('01' vs '1'), or two non-numeric segments: code point order.
  return x < y ? -1 : 1;
}

/** Registry of function definitions. Never shared across threads: the main thread and each worker build their own. */
export class FunctionRegistry {
  /** name -> its versions, ascending. */
  readonly #versions = new Map<string, FunctionDefinition[]>();
  readonly #byId = new Map<string, FunctionDefinition>();
  readonly #disabled = new Set<string>();
  /** Derived: name and id of every enabled definition -> what `get` returns. */
  #resolved = new Map<string, FunctionDefinition>();
  /** Derived: event type -> active handlers, sorted by name. */
  #byEvent = new Map<string, readonly FunctionDefinition[]>();
  /** Derived: name -> its enabled versions, for names whose versions are chosen by weight. */
  #weighted = new Map<string, readonly FunctionDefinition[]>();
  /** Candidates of `#weighted` names for the node tags they were last scored with. */
  #candidates = new Map<string, { tags: readonly string[]; list: readonly FunctionCandidate[] }>();

  /** Number of registered definitions (all versions, enabled or not). */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Registers one definition (enabled). Idempotent for the same definition object; throws {@link ConfigError}
   * (field `version`) when a different definition with the same `name@version` is registered, and (field
   * `definition`) for a value that is not a definition.
   */
  add(definition: FunctionDefinition): this {
    return this.addAll([definition]);
  }

  /** Registers several definitions atomically: on a `ConfigError` (as in {@link add}) none is registered. */
  addAll(definitions: Iterable<FunctionDefinition>): this {
    const batch = new Map<string, FunctionDefinition>();
    for (const def of definitions) {
      if (!isFunctionDefinition(def)) {
        throw new ConfigError({ subject: 'registry', field: 'definition', reason: 'not a FunctionDefinition' });
      }
      const existing = batch.get(def.id) ?? this.#byId.get(def.id);
      if (existing === def) continue;
      if (existing !== undefined) {
        throw new ConfigError({
          subject: `fn:${def.name}`,
          field: 'version',
          reason: `${def.id} is already registered`,
        });
      }
      batch.set(def.id, def);
    }
    for (const def of batch.values()) {
      this.#byId.set(def.id, def);
      if (!def.enabled) this.#disabled.add(def.id);
      const versions = this.#versions.get(def.name) ?? [];
      versions.push(def);
      versions.sort((x, y) => compareVersions(x.version, y.version));
      this.#versions.set(def.name, versions);
    }
    this.#rebuild();
    return this;
  }

  /**
   * Registers every function a module exports: definitions, arrays of definitions, and classes (or instances)
   * with decorated methods (see `functionsOf`); other exports are ignored. Atomic like {@link addAll}. Returns
   * what the module contributed (a definition exported twice counts once; a decorated class exported together
   * with an instance of it yields two definitions per method, hence a `ConfigError`).
   */
  addModule(moduleNamespace: object): readonly FunctionDefinition[] {
    const found = new Set<FunctionDefinition>();
    for (const value of Object.values(moduleNamespace)) {
      if (isFunctionDefinition(value)) {
        found.add(value);
      } else if (Array.isArray(value)) {
        for (const item of value) if (isFunctionDefinition(item)) found.add(item);
      } else if (hasDecoratedFunctions(value)) {
        for (const def of functionsOf(value as object)) found.add(def);
      }
    }
    this.addAll(found);
    return [...found];
  }

  /**
   * The definition for `name` (its active version) or `name@version`. Throws {@link UnknownFunctionError} when
   * nothing is registered under the reference, {@link FunctionDisabledError} when it is but is disabled.
   * Hot path: one `Map.get`.
   */
  get(ref: string): FunctionDefinition {
    const def = this.#resolved.get(ref);
    if (def !== undefined) return def;
    if (this.#versions.has(ref) || this.#byId.has(ref)) throw new FunctionDisabledError({ name: ref });
    throw new UnknownFunctionError({ name: ref });
  }

  /**
   * The reference a call of `ref` runs: `ref` itself, unless it is a bare name whose versions are chosen by
   * weight (see the module doc); then the chosen version's id, picked by `chooseFunction` with `draw` (a number in
   * [0, 1), e.g. `Math.random()`) among the enabled versions, scoring `affinity` 1 for a version that prefers one
   * of `nodeTags`. Never throws; an unknown or disabled `ref` comes back as is (`get` refuses it). Allocates only
   * when `nodeTags` changed since the last call for this name.
   */
  select(ref: string, draw: number, nodeTags: readonly string[] = NO_TAGS): string {
    const versions = this.#weighted.get(ref);
    if (versions === undefined) return ref;
    let cached = this.#candidates.get(ref);
    if (cached === undefined || cached.tags !== nodeTags) {
      cached = { tags: nodeTags, list: versions.map((def) => candidateOf(def, nodeTags)) };
      this.#candidates.set(ref, cached);
    }
    return chooseFunction(cached.list, DEFAULT_FUNCTION_WEIGHTS, draw).name;
  }

  /** Like {@link get}, but `undefined` instead of throwing. */
  find(ref: string): FunctionDefinition | undefined {
    return this.#resolved.get(ref);
  }

  /** True when `ref` (name or `name@version`) is registered, enabled or not. */
  has(ref: string): boolean {
    return this.#versions.has(ref) || this.#byId.has(ref);
  }

  /** Active versions of the enabled functions handling `eventType`, by name; the same frozen array until a change. */
  handlersOf(eventType: string): readonly FunctionDefinition[] {
    return this.#byEvent.get(eventType) ?? NO_HANDLERS;
  }

  /** The registered versions of `name`, ascending; empty when unknown. */
  versions(name: string): readonly string[] {
    return (this.#versions.get(name) ?? []).map((d) => d.version);
  }

  /**
   * Enables `ref`: one version for `name@version`, every version for a bare name. Idempotent. Throws
   * {@link UnknownFunctionError} when nothing matches.
   */
  enable(ref: string): this {
    for (const def of this.#matching(ref)) this.#disabled.delete(def.id);
    this.#rebuild();
    return this;
  }

  /** Disables `ref` (one version or, for a bare name, all). Idempotent. Throws {@link UnknownFunctionError}. */
  disable(ref: string): this {
    for (const def of this.#matching(ref)) this.#disabled.add(def.id);
    this.#rebuild();
    return this;
  }

  /** True when `ref` resolves to an enabled definition (for a bare name: when any version is enabled). */
  isEnabled(ref: string): boolean {
    return this.#resolved.has(ref);
  }

  /** Every registered definition, by name then version. */
  list(): readonly FunctionDefinition[] {
    return [...this.#versions.keys()].sort().flatMap((name) => this.#versions.get(name)!);
  }

  /** Every registered definition as plain data, by name then version. A fresh copy each call. */
  describe(): FunctionDescription[] {
    return this.list().map((d) => ({
      name: d.name,
      version: d.version,
      id: d.id,
      handles: [...d.handles],
      shardBy: d.shardBy ?? null,
      resources: { ...d.resources },
      retry: { ...d.retry },
      enabled: !this.#disabled.has(d.id),
      active: this.#resolved.get(d.name) === d,
    }));
  }

  #matching(ref: string): readonly FunctionDefinition[] {
    const one = this.#byId.get(ref);
    const all = one === undefined ? this.#versions.get(ref) : [one];
    if (all === undefined) throw new UnknownFunctionError({ name: ref });
    return all;
  }

  #rebuild(): void {
    const resolved = new Map<string, FunctionDefinition>();
    const byEvent = new Map<string, FunctionDefinition[]>();
    const weighted = new Map<string, readonly FunctionDefinition[]>();
    for (const name of [...this.#versions.keys()].sort()) {
      let active: FunctionDefinition | undefined;
      const enabled: FunctionDefinition[] = [];
      for (const def of this.#versions.get(name)!) {
        if (this.#disabled.has(def.id)) continue;
        resolved.set(def.id, def);
        enabled.push(def);
        active = def; // ascending order: the last enabled one is the highest
      }
      if (active === undefined) continue;
      if (enabled.length > 1 && enabled.some((def) => def.weight !== undefined)) weighted.set(name, enabled);
      resolved.set(name, active);
      for (const type of active.handles) {
        const list = byEvent.get(type);
        if (list === undefined) byEvent.set(type, [active]);
        else list.push(active);
      }
    }
    for (const list of byEvent.values()) Object.freeze(list);
    this.#resolved = resolved;
    this.#byEvent = byEvent;
    this.#weighted = weighted;
    this.#candidates = new Map();
  }
}

/** A registry holding `definitions` (registered as by {@link FunctionRegistry.addAll}). */
export function createRegistry(definitions: Iterable<FunctionDefinition> = []): FunctionRegistry {
  return new FunctionRegistry().addAll(definitions);
}
