/**
 * The JetStream implementation of the reminder store: one KV bucket per cluster (`lucent-<cluster>-reminders`,
 * history 1), a reminder per key `<partition>.<type/id>.<name>` (`reminder-keys.ts`), the record as msgpack.
 *
 * ```
 *  put         kv.put                                   (replaces; the new revision is a new stream sequence)
 *  remove      kv.delete ─► DEL marker                  (the owner's watch hears of it)
 *  ack         kv.delete(key, previousSeq: revision)    (conditional: a set again meanwhile survives)
 *  reschedule  kv.update(key, next, revision)           (conditional: a set or cancel meanwhile wins)
 *  watch p     KV watch of '<p>.>' (an ordered consumer, last value per key): the scan, then live changes
 *  markers     the owner's watch sees each DEL marker ─► erased by stream sequence in the background
 * ```
 * Why markers are erased: a KV delete leaves a marker per key forever, and fired one-shot reminders (every
 * `tellAt`) would pile them up. The owner that hears of a marker erases it (stream message delete by sequence; a
 * marker already replaced fails harmlessly), a few at a time: that is a JetStream API request, which the server
 * serves far slower than publishes, so it stays off the firing path (acks are publishes) and is bounded
 * (`MARKER_ERASES_IN_FLIGHT`, a bounded queue; a marker dropped from a full queue is found again by a later scan).
 *
 * Costs: a put or ack is one JetStream publish round trip (pipelined: many in flight on one connection); a watch
 * replays its partition at consumer speed (one message per live reminder or marker), which is what a scan costs.
 */
import { DEFAULT_CLUSTER, DEFAULT_REMINDER_PARTITIONS } from '@lucent/core/internal';
import type { JetStreamManager, KV, KvEntry, NatsConnection } from 'nats';
import type { EventObject } from 'xstate';
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
const MARKER_ERASES_IN_FLIGHT = 4;
/** Markers waiting to be erased, at most. */
const MARKER_QUEUE_LIMIT = 100_000;

export interface KvReminderStoreOptions {
  /** Cluster name; the bucket is `lucent-<cluster>-reminders` unless `bucket` is given. Default `lucent`. */
  readonly cluster?: string;
  readonly bucket?: string;
  /** Replicas when the bucket is created (default 1). */
  readonly replicas?: number;
  /** Bound on each operation (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Partitions (default 16); every process of the cluster must agree. */
  readonly partitions?: number;
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
  readonly bucket: string;
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #timeoutMs: number;
  /** Marker sequences waiting to be erased: an array read from `#markerHead` (no shift), reset when drained. */
  #markers: number[] = [];
  #markerHead = 0;
  #erasing = 0;

  private constructor(kv: KV, jsm: JetStreamManager, bucket: string, partitions: number, timeoutMs: number) {
    this.#kv = kv;
    this.#jsm = jsm;
    this.bucket = bucket;
    this.#stream = `KV_${bucket}`;
    this.partitions = partitions;
    this.#timeoutMs = timeoutMs;
  }

  /** Binds the bucket, creating it when missing. Rejects with `ConfigError`, `TimeoutError`, `NodeUnavailableError`. */
  static async open(nc: NatsConnection, options: KvReminderStoreOptions = {}): Promise<KvReminderStore> {
    const bucket = options.bucket ?? kvBucketName(options.cluster ?? DEFAULT_CLUSTER, 'reminders');
    const timeoutMs = options.timeoutMs ?? 5_000;
    const replicas = options.replicas ?? 1;
    try {
      const js = nc.jetstream({ timeout: timeoutMs });
      const kv = await js.views.kv(bucket, { history: 1, replicas, ...(replicas > 1 ? { allow_direct: false } : {}) });
      const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
      return new KvReminderStore(kv, jsm, bucket, options.partitions ?? DEFAULT_REMINDER_PARTITIONS, timeoutMs);
    } catch (error) {
      throw storeFailure(error, 'open', bucket, '', timeoutMs);
    }
  }

  async put(record: ReminderRecord): Promise<void> {
    const key = reminderKey(record.actorType, record.actorId, record.name, this.partitions);
    const bytes = encodeKvValue(toWire(record), `reminder '${key}'`);
    try {
      await this.#kv.put(key, bytes);
    } catch (error) {
      throw storeFailure(error, 'put', this.bucket, key, this.#timeoutMs);
    }
  }

  async remove(actorType: string, actorId: string, name: string): Promise<void> {
    const key = reminderKey(actorType, actorId, name, this.partitions);
    try {
      await this.#kv.delete(key);
    } catch (error) {
      throw storeFailure(error, 'delete', this.bucket, key, this.#timeoutMs);
    }
  }

  async ack(stored: StoredReminder): Promise<boolean> {
    try {
      await this.#kv.delete(stored.key, { previousSeq: stored.revision });
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw storeFailure(error, 'delete', this.bucket, stored.key, this.#timeoutMs);
    }
  }

  async reschedule(stored: StoredReminder, dueAt: number): Promise<boolean> {
    const bytes = encodeKvValue(toWire({ ...stored, dueAt }), `reminder '${stored.key}'`);
    try {
      await this.#kv.update(stored.key, bytes, stored.revision);
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw storeFailure(error, 'update', this.bucket, stored.key, this.#timeoutMs);
    }
  }

  watch(partition: number, listener: PartitionListener): PartitionWatch {
    let stopped = false;
    let iterator: { stop(): void } | undefined;
    const run = async (): Promise<void> => {
      const entries = await this.#kv.watch({
        key: `${partition}.>`,
        initializedFn: () => {
          if (!stopped) listener.ready();
        },
      });
      iterator = entries;
      if (stopped) entries.stop();
      for await (const entry of entries) {
        if (stopped) break;
        this.#onEntry(entry, listener);
      }
    };
    run().then(
      () => {
        if (!stopped) listener.failed(new Error(`watch of reminder partition ${partition} ended`));
      },
      (error: unknown) => {
        if (!stopped) listener.failed(storeFailure(error, 'watch', this.bucket, `${partition}.>`, this.#timeoutMs));
      },
    );
    return {
      stop: () => {
        stopped = true;
        iterator?.stop();
      },
    };
  }

  #onEntry(entry: KvEntry, listener: PartitionListener): void {
    if (entry.operation !== 'PUT') {
      listener.removed(entry.key);
      // The marker has done its job (the owner heard): erase it, so deleted keys leave nothing behind.
      this.#eraseLater(entry.revision);
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
      partition: partitionOfReminderKey(entry.key),
      revision: entry.revision,
    });
  }

  /** Queues marker `sequence` for erasing (dropped when the queue is full: a later scan finds it again). */
  #eraseLater(sequence: number): void {
    if (this.#markers.length - this.#markerHead >= MARKER_QUEUE_LIMIT) return;
    this.#markers.push(sequence);
    this.#pumpErases();
  }

  #pumpErases(): void {
    while (this.#erasing < MARKER_ERASES_IN_FLIGHT && this.#markerHead < this.#markers.length) {
      const sequence = this.#markers[this.#markerHead++] as number;
      if (this.#markerHead === this.#markers.length) {
        this.#markers = [];
        this.#markerHead = 0;
      }
      this.#erasing++;
      this.#erase(sequence, 'marker')
        .catch(() => {}) // left for a later scan
        .finally(() => {
          this.#erasing--;
          this.#pumpErases();
        });
    }
  }

  /** Deletes stream message `sequence` (no erase pass); false when it was already gone (replaced or deleted). */
  async #erase(sequence: number, key: string): Promise<boolean> {
    try {
      return await this.#jsm.streams.deleteMessage(this.#stream, sequence, false);
    } catch (error) {
      // 10037: no message found (replaced by a newer write of the key, or deleted already).
      if ((error as { api_error?: { err_code?: unknown } }).api_error?.err_code === 10037) return false;
      if (error instanceof Error && /no message found/i.test(error.message)) return false;
      throw storeFailure(error, 'delete message', this.bucket, key, this.#timeoutMs);
    }
  }
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
