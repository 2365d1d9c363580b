/**
 * One node's door to a shared in-memory state store that can be slammed shut: after {@link CrashableStateStore.crash}
 * nothing this node does reaches the store any more (a crashed process saves nothing), while the other nodes keep
 * using the shared store. Used by the in-memory test cluster to simulate a crash.
 */
import type { StateStore, StoredSnapshot } from '@lucent/actors/internal';
import { NodeUnavailableError } from '@lucent/core/internal';

/** A {@link StateStore} forwarding to a shared one until {@link crash}; then every call rejects. */
export class CrashableStateStore implements StateStore {
  readonly #inner: StateStore;
  readonly #nodeId: string;
  #crashed = false;

  constructor(inner: StateStore, nodeId: string) {
    this.#inner = inner;
    this.#nodeId = nodeId;
  }

  /** True after {@link crash}. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** From now on every call rejects with `NodeUnavailableError` and writes nothing. Idempotent. */
  crash(): void {
    this.#crashed = true;
  }

  load(key: string): Promise<StoredSnapshot | null> {
    return this.#crashed ? this.#refuse() : this.#inner.load(key);
  }

  save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    return this.#crashed ? this.#refuse() : this.#inner.save(key, snapshot, expectedRevision);
  }

  delete(key: string): Promise<void> {
    return this.#crashed ? this.#refuse() : this.#inner.delete(key);
  }

  #refuse(): Promise<never> {
    return Promise.reject(new NodeUnavailableError({ node: this.#nodeId, reason: 'the node crashed (test cluster)' }));
  }
}
