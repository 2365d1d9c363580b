/**
 * The deployed registry in JetStream: function records in a KV bucket and module bundles in an object store,
 * the one place that calls those APIs for the registry.
 *
 * ```
 *  lucent-<cluster>-registry   KV            key = function name ─► FunctionRecord (JSON), history 1
 *  lucent-<cluster>-modules    object store  name = sha256 hex of the bundle ─► the bundle's bytes
 * ```
 * Writes are compare-and-set on the record's revision ({@link RegistryStore.modify}): one attempt, so two
 * operators racing get a `ConflictError` for the slower one instead of a lost update. Reads of a module check
 * the bytes against the checksum they were asked for ({@link RegistryStore.getModule}); a mismatch is a
 * `ModuleChecksumError`, never code loaded.
 */
import { createHash } from 'node:crypto';
import { type Clock, ModuleChecksumError, NodeUnavailableError, systemClock } from '@lucent/core/internal';
import type { KV, NatsConnection, ObjectStore } from 'nats';
import { decodeKvKey, kvBucketName } from '../state/kv-keys.js';
import { RevisionedKv } from '../state/revisioned-kv.js';
import { ACTOR_KEY_PREFIX, type ActorRecord, decodeActorRecord, encodeActorRecord } from './actor-record.js';
import { decodeFunctionRecord, encodeFunctionRecord, type FunctionRecord } from './function-record.js';
import type { RecordEdit } from './registry-edits.js';

/** Options of {@link RegistryStore.open}. */
export interface RegistryStoreOptions {
  readonly cluster: string;
  /** Replicas of the bucket and the object store when this call creates them (default 1). */
  readonly replicas?: number;
  /** Bound of each operation (default 10 000 ms: module puts and gets move whole bundles). */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
}

/** A record with the revision a compare-and-set write must name. */
export interface StoredRecord {
  readonly record: FunctionRecord;
  readonly revision: number;
}

/** A running watch of the registry bucket. */
export interface RegistryWatch {
  /** Resolves once every record present when the watch started has been delivered. */
  readonly initialized: Promise<void>;
  stop(): void;
}

/** The SHA-256 of `bytes`, lowercase hex: a module's checksum and its object's name. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The object store's name in `cluster`. */
export function moduleStoreName(cluster: string): string {
  // Same rules (and check) as the KV buckets' names.
  return kvBucketName(cluster, 'registry').replace(/-registry$/, '-modules');
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** See the file comment. */
export class RegistryStore {
  readonly #records: RevisionedKv;
  readonly #kv: KV;
  readonly #modules: ObjectStore;

  private constructor(records: RevisionedKv, kv: KV, modules: ObjectStore) {
    this.#records = records;
    this.#kv = kv;
    this.#modules = modules;
  }

  /**
   * Binds (creating when missing) the registry bucket and the module store of `options.cluster`. Rejects with
   * `NodeUnavailableError` / `TimeoutError` when JetStream does not answer (the server needs `-js`).
   */
  static async open(nc: NatsConnection, options: RegistryStoreOptions): Promise<RegistryStore> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const replicas = options.replicas ?? 1;
    const bucket = kvBucketName(options.cluster, 'registry');
    const records = await RevisionedKv.open(nc, {
      bucket,
      timeoutMs,
      replicas,
      clock: options.clock ?? systemClock,
    });
    try {
      const js = nc.jetstream({ timeout: timeoutMs });
      const kv = await js.views.kv(bucket, { history: 1, replicas });
      const modules = await js.views.os(moduleStoreName(options.cluster), { replicas });
      return new RegistryStore(records, kv, modules);
    } catch (error) {
      throw unavailable('open the module store', error);
    }
  }

  /** The record of function `name` with its revision, or `null` when it was never deployed. */
  async read(name: string): Promise<StoredRecord | null> {
    const stored = await this.#records.read(name);
    return stored === null ? null : { record: decodeFunctionRecord(stored.value), revision: stored.revision };
  }

  /**
   * Applies `change` to the record of actor type `type` and writes it as one compare-and-set revision (see
   * {@link modify}).
   */
  async modifyActor(
    type: string,
    change: (record: ActorRecord | undefined) => { readonly record: ActorRecord; readonly changed: boolean },
  ): Promise<{ readonly record: ActorRecord; readonly changed: boolean; readonly revision: number }> {
    const key = `${ACTOR_KEY_PREFIX}${type}`;
    const current = await this.#records.read(key);
    const edit = change(current === null ? undefined : decodeActorRecord(current.value));
    if (!edit.changed) return { ...edit, revision: current?.revision ?? 0 };
    const bytes = encodeActorRecord(edit.record);
    const revision =
      current === null
        ? await this.#records.create(key, bytes)
        : await this.#records.update(key, bytes, current.revision);
    return { ...edit, revision };
  }

  /** Every function record, by function name (sorted). Records that do not decode are skipped. */
  async list(): Promise<StoredRecord[]> {
    const names: string[] = [];
    try {
      for await (const key of await this.#kv.keys()) {
        const name = decodeKvKey(key);
        if (!name.startsWith(ACTOR_KEY_PREFIX)) names.push(name);
      }
    } catch (error) {
      throw unavailable('list the registry', error);
    }
    const records: StoredRecord[] = [];
    for (const name of names.sort()) {
      try {
        const stored = await this.read(name);
        if (stored !== null) records.push(stored);
      } catch {
        // A record someone wrote by hand that does not decode: not listed (nodes log it when they see it).
      }
    }
    return records;
  }

  /**
   * Applies `change` to the current record of `name` (undefined when none) and writes the result as one
   * compare-and-set revision. Resolves with the new record (unchanged: nothing written). Rejects with
   * `ConflictError` when another write landed between the read and the write, and with what `change` throws.
   */
  async modify(
    name: string,
    change: (record: FunctionRecord | undefined) => RecordEdit,
  ): Promise<RecordEdit & { readonly revision: number }> {
    const current = await this.read(name);
    const edit = change(current?.record);
    if (!edit.changed) return { ...edit, revision: current?.revision ?? 0 };
    return { ...edit, revision: await this.write(edit.record, current?.revision ?? null) };
  }

  /**
   * Writes `record` if its key's live revision is still `revision` (`null`: the function has no record yet) and
   * resolves with the new revision. Rejects with `ConflictError` otherwise; nothing is written then.
   */
  async write(record: FunctionRecord, revision: number | null): Promise<number> {
    const bytes = encodeFunctionRecord(record);
    return revision === null
      ? await this.#records.create(record.name, bytes)
      : await this.#records.update(record.name, bytes, revision);
  }

  /** Stores `bytes` under their checksum unless an object of that name exists; resolves with the checksum. */
  async putModule(bytes: Uint8Array): Promise<string> {
    const checksum = sha256Hex(bytes);
    try {
      const info = await this.#modules.info(checksum);
      if (info === null || info.deleted) await this.#modules.putBlob({ name: checksum }, bytes);
    } catch (error) {
      throw unavailable('store the module', error);
    }
    return checksum;
  }

  /**
   * The bytes of module `checksum`, checked against it. Rejects with `ModuleChecksumError` when the stored
   * bytes hash to anything else (or the object is missing: `actual` is `'missing'`).
   */
  async getModule(checksum: string): Promise<Uint8Array> {
    let bytes: Uint8Array | null;
    try {
      bytes = await this.#modules.getBlob(checksum);
    } catch (error) {
      // nats.js checks the store's own digest too; a failure there is a damaged object, the same refusal.
      if (error instanceof Error && /digest/i.test(error.message)) {
        throw new ModuleChecksumError({ module: checksum, expected: checksum, actual: 'unreadable' }, { cause: error });
      }
      throw unavailable('read the module', error);
    }
    if (bytes === null) throw new ModuleChecksumError({ module: checksum, expected: checksum, actual: 'missing' });
    const actual = sha256Hex(bytes);
    if (actual !== checksum) throw new ModuleChecksumError({ module: checksum, expected: checksum, actual });
    return bytes;
  }

  /**
   * Watches every record: `onRecord(name, record)` for each function record present at the start and each later
   * change (`undefined` for a deleted record), `onActor(type, record)` the same for actor records,
   * `onInvalid(name, error)` for a record that does not decode. Rejects like any operation when the watch
   * cannot start.
   */
  async watch(
    onRecord: (name: string, record: FunctionRecord | undefined) => void,
    onInvalid: (name: string, error: unknown) => void,
    onActor: (type: string, record: ActorRecord | undefined) => void = () => {},
  ): Promise<RegistryWatch> {
    let initialize: () => void = () => {};
    const initialized = new Promise<void>((resolve) => {
      initialize = resolve;
    });
    let iterator: Awaited<ReturnType<KV['watch']>>;
    try {
      iterator = await this.#kv.watch({ key: '>', initializedFn: () => initialize() });
    } catch (error) {
      throw unavailable('watch the registry', error);
    }
    void (async () => {
      for await (const entry of iterator) {
        let name: string;
        try {
          name = decodeKvKey(entry.key);
        } catch (error) {
          onInvalid(entry.key, error);
          continue;
        }
        if (name.startsWith(ACTOR_KEY_PREFIX)) {
          const type = name.slice(ACTOR_KEY_PREFIX.length);
          try {
            onActor(type, entry.operation === 'PUT' ? decodeActorRecord(entry.value) : undefined);
          } catch (error) {
            onInvalid(name, error);
          }
          continue;
        }
        if (entry.operation !== 'PUT') {
          onRecord(name, undefined);
          continue;
        }
        let record: FunctionRecord;
        try {
          record = decodeFunctionRecord(entry.value);
        } catch (error) {
          onInvalid(name, error);
          continue;
        }
        onRecord(name, record);
      }
    })().catch((error: unknown) => onInvalid('(watch)', error));
    return { initialized, stop: () => iterator.stop() };
  }
}

function unavailable(what: string, error: unknown): NodeUnavailableError {
  const reason = `cannot ${what}: ${error instanceof Error ? error.message : String(error)}`;
  return new NodeUnavailableError({ node: 'jetstream', reason }, { cause: error });
}
