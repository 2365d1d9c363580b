/**
 * The JetStream KV implementation of the `StateStore` port: one bucket per cluster (`lucent-<cluster>-state`,
 * history 1), one key per actor (escaped by `kv-keys.ts`), the snapshot as msgpack, the KV revision as the
 * store revision. Every write is conditional on that revision at the server, so an owner with a stale view
 * gets `ConflictError` and can never overwrite newer state.
 *
 * ```
 * load(k)             get                      → { snapshot, revision } | null (deleted = null)
 * save(k, s, null)    put, expect no value     → new revision | ConflictError (someone created it)
 * save(k, s, rev)     put, expect last = rev   → new revision | ConflictError (it moved or is gone)
 * delete(k)           delete marker            → idempotent
 * ```
 * Costs one KV round trip per call (~200 µs on loopback, `baselines.md` §3); a conflict costs one more `get` to
 * report the revision that won.
 */
import type { StateStore, StoredSnapshot } from '@lucent/actors/internal';
import { DEFAULT_CLUSTER } from '@lucent/core/internal';
import type { NatsConnection } from 'nats';
import { kvBucketName } from './kv-keys.js';
import { decodeKvValue, encodeKvValue } from './kv-value-codec.js';
import { RevisionedKv } from './revisioned-kv.js';

export interface KvStateStoreOptions {
  /** Cluster name; the bucket is `lucent-<cluster>-state` unless `bucket` is given. Default `lucent`. */
  readonly cluster?: string;
  /** Explicit bucket name (`[-_a-zA-Z0-9]+`), e.g. one per test. */
  readonly bucket?: string;
  /** Bound on each operation (default 5000 ms); past it the call rejects with `TimeoutError`. */
  readonly timeoutMs?: number;
  /** Replicas when the bucket is created (default 1). */
  readonly replicas?: number;
}

/**
 * A {@link StateStore} on a JetStream KV bucket. Create it with {@link KvStateStore.open}; it borrows the
 * connection (closing the connection is the caller's job) and holds no other resource.
 *
 * Failures other than conflicts reject with `TimeoutError` or `NodeUnavailableError` (e.g. while NATS is
 * restarting); the call can be retried, but after a timed-out `save` the write may have happened, so `load`
 * before saving again. The connection should be made with `noAsyncTraces: true` (cheaper requests).
 */
export class KvStateStore implements StateStore {
  readonly #kv: RevisionedKv;

  private constructor(kv: RevisionedKv) {
    this.#kv = kv;
  }

  /**
   * Binds the state bucket, creating it when missing. Rejects with `ConfigError` for an invalid cluster name,
   * `TimeoutError` / `NodeUnavailableError` when JetStream does not answer.
   */
  static async open(nc: NatsConnection, options: KvStateStoreOptions = {}): Promise<KvStateStore> {
    const bucket = options.bucket ?? kvBucketName(options.cluster ?? DEFAULT_CLUSTER, 'state');
    const kv = await RevisionedKv.open(nc, {
      bucket,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    });
    return new KvStateStore(kv);
  }

  /** The bucket this store writes to. */
  get bucket(): string {
    return this.#kv.bucket;
  }

  /** Rejects with `DecodeError` when the stored bytes are not msgpack (written by something else). */
  async load(key: string): Promise<StoredSnapshot | null> {
    const record = await this.#kv.read(key);
    if (record === null) return null;
    return { snapshot: decodeKvValue(record.value, `snapshot of '${key}'`), revision: record.revision };
  }

  /**
   * See {@link StateStore.save}. Also rejects with `EncodeError` (nothing written) when the snapshot holds a
   * function, a symbol or a cycle, or is larger than the bucket or server allows.
   */
  save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    let bytes: Uint8Array;
    try {
      bytes = encodeKvValue(snapshot, `snapshot of '${key}'`);
    } catch (error) {
      return Promise.reject(error);
    }
    return expectedRevision === null ? this.#kv.create(key, bytes) : this.#kv.update(key, bytes, expectedRevision);
  }

  /** Writes a delete marker; a later `save(key, s, null)` creates the key again. Idempotent. */
  delete(key: string): Promise<void> {
    return this.#kv.remove(key);
  }
}
