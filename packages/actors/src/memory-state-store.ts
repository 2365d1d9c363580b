/**
 * The in-memory twin of the JetStream KV state store: same revision rules, no I/O. Snapshots are copied on the way
 * in and out (structured clone), so a caller can neither mutate stored state through a reference it kept nor store
 * something a real store could not carry (a function, a class instance's methods).
 */
import { EncodeError } from '@lucent/core/internal';
import { revisionConflict, type StateStore, type StoredSnapshot } from './state-store.js';

interface Entry {
  readonly snapshot: unknown;
  readonly revision: number;
}

export interface MemoryStateStoreOptions {
  /** Copy snapshots on save and load (default true). Turn off only in benchmarks that measure the caller. */
  readonly copy?: boolean;
}

/**
 * A real {@link StateStore} kept in a `Map`. Revisions come from one counter per store, so they increase across
 * keys like a KV stream sequence. Operations settle asynchronously (as a microtask), as a networked store would.
 */
export class MemoryStateStore implements StateStore {
  readonly #entries = new Map<string, Entry>();
  readonly #copy: boolean;
  #sequence = 0;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#copy = options.copy ?? true;
  }

  /** Keys with a stored snapshot. */
  get size(): number {
    return this.#entries.size;
  }

  /** The stored revision of `key`, or `null`; synchronous, for tests. */
  revisionOf(key: string): number | null {
    return this.#entries.get(key)?.revision ?? null;
  }

  /** Every stored key, in insertion order. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  async load(key: string): Promise<StoredSnapshot | null> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    return { snapshot: this.#copyOf(entry.snapshot), revision: entry.revision };
  }

  async save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    const current = this.#entries.get(key)?.revision ?? null;
    if (current !== expectedRevision) throw revisionConflict(key, expectedRevision, current);
    const revision = ++this.#sequence;
    this.#entries.set(key, { snapshot: this.#copyOf(snapshot), revision });
    return revision;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  #copyOf(value: unknown): unknown {
    if (!this.#copy) return value;
    try {
      return structuredClone(value);
    } catch (cause) {
      throw new EncodeError({ reason: `snapshot is not plain data: ${(cause as Error).message}` }, { cause });
    }
  }
}
