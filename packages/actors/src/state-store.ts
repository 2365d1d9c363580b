/**
 * The `StateStore` port: where function actors keep their persisted xstate snapshots. Every write is guarded by
 * the revision the writer last saw, so an owner whose view is stale can never overwrite newer state.
 *
 * Implementations: {@link MemoryStateStore} here (tests, single process), a JetStream KV store in `@lucent/node`.
 */
import { ConflictError } from '@lucent/core/internal';

/** A snapshot as stored, with the revision that a later `save` must name to replace it. */
export interface StoredSnapshot {
  readonly snapshot: unknown;
  /** Opaque, increasing per store (not necessarily consecutive, like a KV stream sequence). */
  readonly revision: number;
}

export interface StateStore {
  /** The stored snapshot, or `null` when the key has none. Rejects only when the store itself fails. */
  load(key: string): Promise<StoredSnapshot | null>;
  /**
   * Writes `snapshot` if the stored revision is still `expectedRevision` (`null`: the key must not exist) and
   * resolves with the new revision. Rejects with the core `ConflictError` when the revision moved; then nothing
   * was written. `snapshot` must be plain data (it crosses the wire in real stores).
   */
  save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number>;
  /** Removes the key. Idempotent: deleting a missing key resolves. */
  delete(key: string): Promise<void>;
}

/** Which store operation a {@link FaultInjectingStateStore} fault applies to. */
export type StateStoreOperation = 'load' | 'save' | 'delete';

/** Default error of an injected fault: a plain `Error`, as an unreachable store would raise. */
export class InjectedStoreFault extends Error {
  constructor(operation: StateStoreOperation, key: string) {
    super(`injected ${operation} fault on '${key}'`);
    this.name = 'InjectedStoreFault';
  }
}

/**
 * Wraps any store and makes the next N calls of an operation fail, for tests of recovery paths. Faults are consumed
 * in call order; calls past them go to the wrapped store unchanged. Not for production use.
 */
export class FaultInjectingStateStore implements StateStore {
  readonly #inner: StateStore;
  readonly #remaining: Record<StateStoreOperation, number> = { load: 0, save: 0, delete: 0 };
  readonly #errors: Record<StateStoreOperation, unknown> = { load: undefined, save: undefined, delete: undefined };
  /** Calls seen per operation, faulted or not. */
  readonly calls: Record<StateStoreOperation, number> = { load: 0, save: 0, delete: 0 };

  constructor(inner: StateStore) {
    this.#inner = inner;
  }

  /**
   * The next `count` calls of `operation` reject with `error` (default: an {@link InjectedStoreFault}).
   * Replaces any faults still pending for that operation.
   */
  failNext(operation: StateStoreOperation, count = 1, error?: unknown): this {
    this.#remaining[operation] = count;
    this.#errors[operation] = error;
    return this;
  }

  /** Faults still pending for `operation`. */
  pendingFaults(operation: StateStoreOperation): number {
    return this.#remaining[operation];
  }

  load(key: string): Promise<StoredSnapshot | null> {
    return this.#fault('load', key) ?? this.#inner.load(key);
  }

  save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    return this.#fault('save', key) ?? this.#inner.save(key, snapshot, expectedRevision);
  }

  delete(key: string): Promise<void> {
    return this.#fault('delete', key) ?? this.#inner.delete(key);
  }

  #fault(operation: StateStoreOperation, key: string): Promise<never> | undefined {
    this.calls[operation]++;
    if (this.#remaining[operation] === 0) return undefined;
    this.#remaining[operation]--;
    return Promise.reject(this.#errors[operation] ?? new InjectedStoreFault(operation, key));
  }
}

/** Builds the `ConflictError` a store raises when `expectedRevision` no longer matches. */
export function revisionConflict(key: string, expectedRevision: number | null, actualRevision: number | null) {
  return new ConflictError({ key, expectedRevision, actualRevision });
}
