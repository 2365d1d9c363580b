/**
 * The JetStream implementation of the reminder store: a KV bucket per partition (`lucent-<cluster>-reminders-<p>`,
 * history 1), a reminder per key `<partition>.<type/id>.<name>` (`reminder-keys.ts`), the record as msgpack.
 * A bucket per partition because a partition's fired reminders are removed by one purge of its stream below a
 * sequence, which JetStream does cheaply for a whole stream (whole blocks dropped) and only by scanning every
 * subject for a filtered purge (nats-server 2.9).
 *
 * ```
 *  put         publish to $KV.<bucket>-<p>.<key>             (replaces; the new revision is a new stream sequence)
 *  remove      publish a DEL marker (KV-Operation: DEL)      (the owner's watch hears of it, forgets the reminder)
 *  purgeBelow  stream purge { seq }                          (every message of partition p before that sequence)
 *  ack         delete stream message <revision>              (conditional by nature: a key set again has a new
 *                                                             sequence and survives; leaves no marker)
 *  reschedule  publish, Nats-Expected-Last-Subject-Sequence  (conditional: a set or cancel meanwhile wins)
 *  watch p     KV watch of bucket p (an ordered consumer, last value per key): the scan, then live changes
 *  markers     the owner's watch sees each cancel's DEL marker ─► erased by stream sequence in the background
 * ```
 * Writes go through a {@link JetStreamPipeline} (many in flight on the borrowed connection, no per-call timer
 * or inbox), not nats.js `kv.put` / `kv.delete`, whose per-call request machinery was the bound: see the
 * pipeline's doc and the `node/reminders` bench.
 *
 * Why ack and purge delete messages instead of writing markers: a KV delete leaves a marker per key forever, and
 * fired one-shot reminders (every `tellAt`) would pile them up. A cancel still writes a marker, because the owner
 * must hear of it; the owner erases it once heard (bounded: `MARKER_ERASES_IN_FLIGHT`, a bounded queue; a marker
 * dropped from a full queue is found again by a later scan, or purged with the fired reminders around it).
 *
 * Costs: a put, ack, purge or reschedule is one JetStream round trip, pipelined; a watch replays its partition
 * at consumer speed (one message per stored reminder or marker), which is what a scan costs.
 */
import { DEFAULT_CLUSTER, DEFAULT_REMINDER_PARTITIONS } from '@lucent/core/internal';
import { headers, type KV, type KvEntry, type NatsConnection } from 'nats';
import type { EventObject } from 'xstate';
import { JetStreamPipeline } from '../state/jetstream-pipeline.js';
import { kvBucketName } from '../state/kv-keys.js';
import { decodeKvValue, encodeKvValue } from '../state/kv-value-codec.js';
import { isWrongLastSequence, storeFailure } from '../state/revisioned-kv.js';
import { partitionOfReminderKey, reminderKey } from './reminder-keys.js';
import type {
  PartitionListener,
  PartitionWatch,
  ReminderRecord,
  ReminderStore,
  StoredReminder,
} from './reminder-store.js';

/** Marker erasures (JetStream API requests) at once, per store. */
const MARKER_ERASES_IN_FLIGHT = 32;
/** Markers waiting to be erased, at most. */
const MARKER_QUEUE_LIMIT = 100_000;

export interface KvReminderStoreOptions {
  /** Cluster name; the buckets are `lucent-<cluster>-reminders-<p>` unless `bucket` is given. Default `lucent`. */
  readonly cluster?: string;
  /** The buckets' name before `-<partition>`. */
  readonly bucket?: string;
  /** Replicas when the bucket is created (default 1). */
  readonly replicas?: number;
  /** Bound on each operation (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Partitions (default 16); every process of the cluster must agree. */
  readonly partitions?: number;
}

/** One partition's bucket and the subjects its operations publish to. */
interface PartitionBucket {
  readonly name: string;
  readonly kv: KV;
  readonly subjectPrefix: string;
  readonly deleteSubject: string;
  readonly purgeSubject: string;
}

/** A cancel's delete marker to erase. */
interface Marker {
  readonly bucket: PartitionBucket;
  readonly sequence: number;
}

/** The bucket of partition `partition` among buckets named `bucket`: `<bucket>-<partition>`. */
export function partitionBucket(bucket: string, partition: number): string {
  return `${bucket}-${partition}`;
}

/** The stored form: the record without what the key already says. */
interface WireRecord {
  readonly t: string;
  readonly i: string;
  readonly n: string;
  readonly d: number;
  readonly e: number;
  readonly v: EventObject;
}

/** See the module doc. Borrows the connection (the caller closes it). */
export class KvReminderStore implements ReminderStore {
  readonly partitions: number;
  /** The buckets' name before `-<partition>` (see {@link partitionBucket}). */
  readonly bucket: string;
  /** Partition p's bucket, its key subject prefix (`$KV.<bucket>-<p>.`), message-delete and purge API subjects. */
  readonly #buckets: readonly PartitionBucket[];
  readonly #pipeline: JetStreamPipeline;
  readonly #timeoutMs: number;
  /** Marker sequences waiting to be erased: an array read from `#markerHead` (no shift), reset when drained. */
  #markers: Marker[] = [];
  #markerHead = 0;
  #erasing = 0;

  private constructor(buckets: PartitionBucket[], pipeline: JetStreamPipeline, bucket: string, timeoutMs: number) {
    this.#buckets = buckets;
    this.#pipeline = pipeline;
    this.bucket = bucket;
    this.partitions = buckets.length;
    this.#timeoutMs = timeoutMs;
  }

  /** Binds the buckets, creating missing ones. Rejects with `ConfigError`, `TimeoutError`, `NodeUnavailableError`. */
  static async open(nc: NatsConnection, options: KvReminderStoreOptions = {}): Promise<KvReminderStore> {
    const bucket = options.bucket ?? kvBucketName(options.cluster ?? DEFAULT_CLUSTER, 'reminders');
    const timeoutMs = options.timeoutMs ?? 5_000;
    const replicas = options.replicas ?? 1;
    const partitions = options.partitions ?? DEFAULT_REMINDER_PARTITIONS;
    try {
      const js = nc.jetstream({ timeout: timeoutMs });
      const settings = { history: 1, replicas, ...(replicas > 1 ? { allow_direct: false } : {}) };
      const buckets = await Promise.all(
        Array.from({ length: partitions }, async (_, p) => {
          const name = partitionBucket(bucket, p);
          return {
            name,
            kv: await js.views.kv(name, settings),
            subjectPrefix: `$KV.${name}.`,
            deleteSubject: `$JS.API.STREAM.MSG.DELETE.KV_${name}`,
            purgeSubject: `$JS.API.STREAM.PURGE.KV_${name}`,
          };
        }),
      );
      return new KvReminderStore(buckets, new JetStreamPipeline(nc, { timeoutMs }), bucket, timeoutMs);
    } catch (error) {
      throw storeFailure(error, 'open', bucket, '', timeoutMs);
    }
  }

  async put(record: ReminderRecord): Promise<void> {
    const key = reminderKey(record.actorType, record.actorId, record.name, this.partitions);
    const bytes = encodeKvValue(toWire(record), `reminder '${key}'`);
    const bucket = this.#bucketOf(partitionOfReminderKey(key));
    try {
      await this.#pipeline.request(bucket.subjectPrefix + key, bytes);
    } catch (error) {
      throw storeFailure(error, 'put', bucket.name, key, this.#timeoutMs);
    }
  }

  async remove(actorType: string, actorId: string, name: string): Promise<void> {
    const key = reminderKey(actorType, actorId, name, this.partitions);
    const bucket = this.#bucketOf(partitionOfReminderKey(key));
    try {
      await this.#pipeline.request(bucket.subjectPrefix + key, undefined, deleteMarkerHeaders());
    } catch (error) {
      throw storeFailure(error, 'delete', bucket.name, key, this.#timeoutMs);
    }
  }

  /** One stream purge `{ seq }`: drops every message of the partition's stream before `revision`. */
  async purgeBelow(partition: number, revision: number): Promise<void> {
    const bucket = this.#bucketOf(partition);
    try {
      await this.#pipeline.request(bucket.purgeSubject, encoder.encode(`{"seq":${revision}}`));
    } catch (error) {
      throw storeFailure(error, 'purge', bucket.name, `< ${revision}`, this.#timeoutMs);
    }
  }

  /**
   * Deletes the stream message that is this revision of the key: conditional by nature (a key set again has a
   * new sequence, so the old one is gone and this answers false) and it leaves no marker behind, so a fired
   * reminder costs one server operation, not a marker publish now and a marker erase later.
   */
  async ack(stored: StoredReminder): Promise<boolean> {
    const bucket = this.#bucketOf(stored.partition);
    try {
      return await this.#deleteMessage(bucket, stored.revision);
    } catch (error) {
      throw storeFailure(error, 'delete', bucket.name, stored.key, this.#timeoutMs);
    }
  }

  async reschedule(stored: StoredReminder, dueAt: number): Promise<boolean> {
    const bytes = encodeKvValue(toWire({ ...stored, dueAt }), `reminder '${stored.key}'`);
    const conditional = headers();
    conditional.set(EXPECTED_LAST_SUBJECT_SEQUENCE, String(stored.revision));
    const bucket = this.#bucketOf(stored.partition);
    try {
      await this.#pipeline.request(bucket.subjectPrefix + stored.key, bytes, conditional);
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw storeFailure(error, 'update', bucket.name, stored.key, this.#timeoutMs);
    }
  }

  watch(partition: number, listener: PartitionListener): PartitionWatch {
    let stopped = false;
    let iterator: { stop(): void } | undefined;
    const bucket = this.#bucketOf(partition);
    const run = async (): Promise<void> => {
      const entries = await bucket.kv.watch({
        key: `${partition}.>`,
        initializedFn: () => {
          if (!stopped) listener.ready();
        },
      });
      iterator = entries;
      if (stopped) entries.stop();
      for await (const entry of entries) {
        if (stopped) break;
        this.#onEntry(bucket, partition, entry, listener);
      }
    };
    run().then(
      () => {
        if (!stopped) listener.failed(new Error(`watch of reminder partition ${partition} ended`));
      },
      (error: unknown) => {
        if (!stopped) listener.failed(storeFailure(error, 'watch', bucket.name, `${partition}.>`, this.#timeoutMs));
      },
    );
    return {
      stop: () => {
        stopped = true;
        iterator?.stop();
      },
    };
  }

  #onEntry(bucket: PartitionBucket, partition: number, entry: KvEntry, listener: PartitionListener): void {
    if (entry.operation !== 'PUT') {
      listener.removed(entry.key);
      // The marker has done its job (the owner heard): erase it, so deleted keys leave nothing behind.
      this.#eraseLater(bucket, entry.revision);
      return;
    }
    let wire: WireRecord;
    try {
      wire = decodeKvValue(entry.value, `reminder '${entry.key}'`) as WireRecord;
    } catch {
      return; // not ours (written by something else): never fire garbage
    }
    listener.put({
      actorType: wire.t,
      actorId: wire.i,
      name: wire.n,
      dueAt: wire.d,
      everyMs: wire.e,
      event: wire.v,
      key: entry.key,
      partition, // the bucket's: a key of another partition cannot be stored in it
      revision: entry.revision,
    });
  }

  /** Queues marker `sequence` for erasing (dropped when the queue is full: a later scan finds it again). */
  #eraseLater(bucket: PartitionBucket, sequence: number): void {
    if (this.#markers.length - this.#markerHead >= MARKER_QUEUE_LIMIT) return;
    this.#markers.push({ bucket, sequence });
    this.#pumpErases();
  }

  #pumpErases(): void {
    while (this.#erasing < MARKER_ERASES_IN_FLIGHT && this.#markerHead < this.#markers.length) {
      const { bucket, sequence } = this.#markers[this.#markerHead++] as Marker;
      if (this.#markerHead === this.#markers.length) {
        this.#markers = [];
        this.#markerHead = 0;
      }
      this.#erasing++;
      this.#deleteMessage(bucket, sequence)
        .catch(() => {}) // left for a later scan
        .finally(() => {
          this.#erasing--;
          this.#pumpErases();
        });
    }
  }

  #bucketOf(partition: number): PartitionBucket {
    const bucket = this.#buckets[partition];
    if (bucket === undefined) throw new RangeError(`no reminder partition ${partition} of ${this.partitions}`);
    return bucket;
  }

  /** Deletes stream message `sequence` (no erase pass); false when it was already gone (replaced or deleted). */
  async #deleteMessage(bucket: PartitionBucket, sequence: number): Promise<boolean> {
    try {
      await this.#pipeline.request(bucket.deleteSubject, encodeDeleteRequest(sequence));
      return true;
    } catch (error) {
      if (isNoMessageFound(error)) return false;
      throw error;
    }
  }
}

const EXPECTED_LAST_SUBJECT_SEQUENCE = 'Nats-Expected-Last-Subject-Sequence';
/**
 * A message delete of a sequence that holds no message (replaced, deleted or purged): server 2.9 answers 10057
 * (delete failed) with "no message found" below the stream's first sequence, and 10043 (sequence not found)
 * within it; newer servers 10037 (no message found).
 */
function isNoMessageFound(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: unknown; description?: unknown } }).api_error;
  if (apiError?.err_code === 10037 || apiError?.err_code === 10043) return true;
  return apiError?.err_code === 10057 && /no message found/i.test(String(apiError.description));
}
const encoder = new TextEncoder();

/** A KV delete marker's headers (`KV-Operation: DEL`, what `kv.delete` sends). */
function deleteMarkerHeaders() {
  const marker = headers();
  marker.set('KV-Operation', 'DEL');
  return marker;
}

function encodeDeleteRequest(sequence: number): Uint8Array {
  return encoder.encode(`{"seq":${sequence},"no_erase":true}`);
}

function toWire(record: ReminderRecord): WireRecord {
  return {
    t: record.actorType,
    i: record.actorId,
    n: record.name,
    d: record.dueAt,
    e: record.everyMs,
    v: record.event,
  };
}
