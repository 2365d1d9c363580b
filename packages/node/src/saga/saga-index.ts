/**
 * The cluster's index of sagas: one entry per saga (`saga-<name>/<id>`, the saga actor's key) with its status and,
 * once final, its state. It is how nodes learn of sagas to drive (they watch it) and take them over after a crash
 * (the running ones whose key they now own), and how a client awaits an outcome. On NATS it is the
 * `lucent-<cluster>-sagas` KV bucket; {@link MemorySagaIndex} is the in-memory twin.
 */
import type { SagaState, SagaStatus } from '@lucent/actors/internal';
import { NodeUnavailableError } from '@lucent/core/internal';
import type { KV, NatsConnection } from 'nats';
import { decodeKvKey, encodeKvKey, kvBucketName } from '../state/kv-keys.js';

/** One saga in the index. */
export interface SagaIndexEntry {
  readonly saga: string;
  readonly id: string;
  readonly status: SagaStatus;
  /** The final state (status final only). */
  readonly state?: SagaState;
}

/** See the module doc. */
export interface SagaIndex {
  /** Writes `entry` (last write wins). Rejects when the store did not confirm. */
  put(key: string, entry: SagaIndexEntry): Promise<void>;
  /** The entry of `key`, or `undefined`. */
  get(key: string): Promise<SagaIndexEntry | undefined>;
  /** Calls `listener` with every entry now and every later write, until the returned function is called. */
  watch(listener: (key: string, entry: SagaIndexEntry) => void): Promise<() => void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The index in a JetStream KV bucket (history 1). */
export class KvSagaIndex implements SagaIndex {
  readonly #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Binds (creating when missing) `lucent-<cluster>-sagas`. Rejects with `NodeUnavailableError` without JetStream. */
  static async open(nc: NatsConnection, cluster: string, replicas = 1): Promise<KvSagaIndex> {
    try {
      const kv = await nc
        .jetstream({ timeout: 5_000 })
        .views.kv(kvBucketName(cluster, 'sagas'), { history: 1, replicas });
      return new KvSagaIndex(kv);
    } catch (error) {
      throw new NodeUnavailableError({ node: 'jetstream', reason: `saga index: ${String(error)}` }, { cause: error });
    }
  }

  async put(key: string, entry: SagaIndexEntry): Promise<void> {
    await this.#kv.put(encodeKvKey(key), encoder.encode(JSON.stringify(entry)));
  }

  async get(key: string): Promise<SagaIndexEntry | undefined> {
    const entry = await this.#kv.get(encodeKvKey(key));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return JSON.parse(decoder.decode(entry.value)) as SagaIndexEntry;
  }

  async watch(listener: (key: string, entry: SagaIndexEntry) => void): Promise<() => void> {
    const iterator = await this.#kv.watch({ key: '>' });
    void (async () => {
      for await (const entry of iterator) {
        if (entry.operation !== 'PUT') continue;
        try {
          listener(decodeKvKey(entry.key), JSON.parse(decoder.decode(entry.value)) as SagaIndexEntry);
        } catch {
          // A foreign value in the bucket: not a saga of ours.
        }
      }
    })();
    return () => iterator.stop();
  }
}

/** The in-memory twin (unit tests, standalone nodes): values are copied through JSON like the real one. */
export class MemorySagaIndex implements SagaIndex {
  readonly #entries = new Map<string, string>();
  readonly #listeners = new Set<(key: string, entry: SagaIndexEntry) => void>();

  async put(key: string, entry: SagaIndexEntry): Promise<void> {
    const json = JSON.stringify(entry);
    this.#entries.set(key, json);
    for (const listener of this.#listeners) listener(key, JSON.parse(json) as SagaIndexEntry);
  }

  async get(key: string): Promise<SagaIndexEntry | undefined> {
    const json = this.#entries.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as SagaIndexEntry);
  }

  async watch(listener: (key: string, entry: SagaIndexEntry) => void): Promise<() => void> {
    for (const [key, json] of this.#entries) listener(key, JSON.parse(json) as SagaIndexEntry);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
