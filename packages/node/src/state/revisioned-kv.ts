/**
 * A JetStream KV bucket seen as compare-and-set records: the one place in `state/` that calls the nats.js KV API.
 * Both the state store and the activation leases are built on it.
 *
 * How nats.js v2 (2.29.3) and server 2.9.10 behave, checked against a real server:
 * - A revision is the stream sequence of the key's last message; it grows across all keys of the bucket.
 * - `put(k, v, { previousSeq })` sends `Nats-Expected-Last-Subject-Sequence`; if the key's last message has another
 *   sequence the server refuses with JetStream error 10071 "wrong last sequence: <actual>" (0 = no message).
 *   `previousSeq: 0` means "the key has no message at all", so it is an atomic create.
 * - `delete` writes a `DEL` marker (with history 1 it replaces the value). `get` of a deleted key returns the
 *   marker (`operation: 'DEL'`, empty value), not `null`. A marker blocks `previousSeq: 0`; a create over it must
 *   name the marker's revision. nats.js `create()` does that in two steps; {@link RevisionedKv.create} does the
 *   same but reports the winner's revision when it loses.
 * - No per-key TTL on 2.9; a bucket `ttl` (stream `max_age`) ages each key from its last write (see leases).
 * - Nor do markers ever go away by themselves: a bucket whose keys come and go keeps one per key ever deleted.
 *   A stream purge with a subject filter and `seq` removes a key's messages below `seq` only, so purging up to a
 *   listed marker cannot remove a value written after it was listed.
 */
import {
  type Clock,
  ConflictError,
  EncodeError,
  LucentError,
  NodeUnavailableError,
  systemClock,
  TimeoutError,
} from '@lucent/core/internal';
import { headers, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats';
import { keepProcessAlive } from '../keep-alive.js';
import { JetStreamPipeline } from './jetstream-pipeline.js';
import { encodeKvKey } from './kv-keys.js';

/** JetStream API error code of a failed `Nats-Expected-Last-Subject-Sequence` check. */
export const WRONG_LAST_SEQUENCE = 10071;
/** The header that makes a publish conditional on the subject's last sequence (what `kv.put`'s `previousSeq` sends). */
const EXPECTED_LAST_SUBJECT_SEQUENCE = 'Nats-Expected-Last-Subject-Sequence';
/** JetStream API error code of a message over the stream's `max_msg_size`. */
const MESSAGE_TOO_LARGE = 10054;

export interface RevisionedKvOptions {
  /** Bucket name (`[-_a-zA-Z0-9]+`); created with the options below when missing, bound as is when present. */
  readonly bucket: string;
  /** Bound on each KV operation (default 5000 ms); past it the operation rejects with `TimeoutError`. */
  readonly timeoutMs?: number;
  /** Replicas at creation (default 1). */
  readonly replicas?: number;
  /** Bucket `ttl` (stream `max_age`) at creation: a key not written for this long disappears. Default: none. */
  readonly ttlMs?: number;
  /** Time source of the bounds this class enforces itself (the marker listing). Default `systemClock`. */
  readonly clock?: Clock;
}

/** A deleted key's marker, as listed by {@link RevisionedKv.deleteMarkers}. */
export interface DeleteMarker {
  /** The key as the bucket stores it (escaped with `encodeKvKey`). */
  readonly kvKey: string;
  readonly revision: number;
}

/** Marker purges sent at once by {@link RevisionedKv.purgeMarkers}. */
const PURGES_IN_FLIGHT = 32;

/** A live value and the revision a conditional write must name to replace it. */
export interface KvRecord {
  readonly value: Uint8Array;
  readonly revision: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** See the file comment. Keys are store keys; they are escaped with {@link encodeKvKey} here. */
export class RevisionedKv {
  readonly bucket: string;
  readonly timeoutMs: number;
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #clock: Clock;
  /**
   * Conditional writes (every state save and lease renewal) go here, not through `kv.put`: nats.js sends each as a
   * request with its own mux entry, timer and promises, and its mux `Map` kept finished writes alive through
   * scavenges (a quarter of the node's promoted bytes in node/durable).
   */
  readonly #writes: JetStreamPipeline;
  /**
   * `$KV.<bucket>.`: the subject of a key's writes. That is how nats.js names them for a bucket bound through the
   * default JetStream API prefix that is not a mirror, which is how {@link open} binds every bucket.
   */
  readonly #subjectPrefix: string;

  private constructor(nc: NatsConnection, kv: KV, bucket: string, timeoutMs: number, clock: Clock) {
    this.#nc = nc;
    this.#clock = clock;
    this.#kv = kv;
    this.bucket = bucket;
    this.timeoutMs = timeoutMs;
    this.#writes = new JetStreamPipeline(nc, { timeoutMs, clock });
    this.#subjectPrefix = `$KV.${bucket}.`;
  }

  /**
   * Binds the bucket, creating it (history 1, file storage) when missing. An existing bucket keeps its own
   * settings. Rejects like any operation (`TimeoutError`, `NodeUnavailableError`), e.g. without JetStream.
   */
  static async open(nc: NatsConnection, options: RevisionedKvOptions): Promise<RevisionedKv> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      const js = nc.jetstream({ timeout: timeoutMs });
      const kv = await js.views.kv(options.bucket, {
        history: 1,
        replicas: options.replicas ?? 1,
        // Replicated: reads go to the stream leader. A direct get may be answered by a follower that has not
        // caught up (e.g. a server that just rejoined), and an actor would activate from stale state.
        ...((options.replicas ?? 1) > 1 ? { allow_direct: false } : {}),
        ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
      });
      return new RevisionedKv(nc, kv, options.bucket, timeoutMs, options.clock ?? systemClock);
    } catch (error) {
      throw storeFailure(error, 'open', options.bucket, '', timeoutMs);
    }
  }

  /** The live record of `key`; `null` when it was never written, was deleted or has expired. */
  async read(key: string): Promise<KvRecord | null> {
    const kvKey = encodeKvKey(key);
    try {
      const entry = await this.#kv.get(kvKey);
      if (entry === null || entry.operation !== 'PUT') return null;
      return { value: entry.value, revision: entry.revision };
    } catch (error) {
      throw storeFailure(error, 'get', this.bucket, key, this.timeoutMs);
    }
  }

  /**
   * Writes `value` only if `key` has no live value (never written, deleted or expired) and resolves with the new
   * revision. Rejects with `ConflictError` (`actualRevision`: the live revision found) when another write got
   * there first; then nothing was written. Of concurrent creates exactly one resolves.
   */
  async create(key: string, value: Uint8Array): Promise<number> {
    const kvKey = encodeKvKey(key);
    // Two rounds: a delete marker found in the first is named in the second; a third party re-deleting the key
    // between the two is reported as a conflict rather than retried without bound.
    let markerRevision = 0;
    for (let round = 0; round < 2; round++) {
      try {
        return await this.#putIfLast(kvKey, value, markerRevision);
      } catch (error) {
        if (!isWrongLastSequence(error)) throw storeFailure(error, 'create', this.bucket, key, this.timeoutMs);
      }
      const current = await this.#entryOf(kvKey, key);
      if (current?.live === true) throw conflict(key, null, current.revision);
      markerRevision = current?.revision ?? 0;
    }
    throw conflict(key, null, null);
  }

  /**
   * Writes `value` to `kvKey` if its last message (value or marker) has sequence `previousSeq` (0: none at all);
   * resolves with the new revision. Rejects like `kv.put` would: a `JetStreamApiError` (10071 when the sequence
   * differs), an error of code `TIMEOUT`, `EncodeError` or `NodeUnavailableError`.
   */
  async #putIfLast(kvKey: string, value: Uint8Array, previousSeq: number): Promise<number> {
    const h = headers();
    h.set(EXPECTED_LAST_SUBJECT_SEQUENCE, String(previousSeq));
    const reply = await this.#writes.request(this.#subjectPrefix + kvKey, value, h);
    if (reply.seq === undefined) {
      throw new NodeUnavailableError({
        node: 'jetstream',
        reason: `KV ${this.bucket}: a write was acknowledged without its sequence`,
      });
    }
    return reply.seq;
  }

  /**
   * Writes `value` only if the live revision of `key` is still `revision`; resolves with the new revision.
   * Rejects with `ConflictError` (`actualRevision`: the live revision, `null` if the key is gone) otherwise.
   */
  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    const kvKey = encodeKvKey(key);
    // Revisions are > 0; sending 0 would turn the update into a create, so it goes straight to the conflict.
    if (revision > 0 && Number.isSafeInteger(revision)) {
      try {
        return await this.#putIfLast(kvKey, value, revision);
      } catch (error) {
        if (!isWrongLastSequence(error)) throw storeFailure(error, 'update', this.bucket, key, this.timeoutMs);
      }
    }
    const current = await this.#entryOf(kvKey, key);
    throw conflict(key, revision, current?.live === true ? current.revision : null);
  }

  /**
   * Deletes `key` (writes a delete marker). Without `revision`, unconditional and idempotent. With `revision`,
   * only if that is still the live revision; otherwise rejects with `ConflictError` and deletes nothing.
   */
  async remove(key: string, revision?: number): Promise<void> {
    const kvKey = encodeKvKey(key);
    // nats.js drops a falsy `previousSeq`, which would make a revision of 0 an unconditional delete.
    if (revision === undefined || (revision > 0 && Number.isSafeInteger(revision))) {
      try {
        await this.#kv.delete(kvKey, revision === undefined ? undefined : { previousSeq: revision });
        return;
      } catch (error) {
        if (revision === undefined || !isWrongLastSequence(error)) {
          throw storeFailure(error, 'delete', this.bucket, key, this.timeoutMs);
        }
      }
    }
    const current = await this.#entryOf(kvKey, key);
    throw conflict(key, revision, current?.live === true ? current.revision : null);
  }

  /**
   * The delete markers written before `beforeMs` (epoch ms), read from headers only (no values). Rejects with
   * `TimeoutError` when the listing does not finish within the operation timeout.
   */
  async deleteMarkers(beforeMs: number): Promise<DeleteMarker[]> {
    const markers: DeleteMarker[] = [];
    let watch: QueuedIterator<KvEntry> | undefined;
    let listed = false;
    const timer = keepProcessAlive(
      this.#clock.setTimeout(() => {
        watch?.stop(new TimeoutError({ target: `KV ${this.bucket} list delete markers`, timeoutMs: this.timeoutMs }));
      }, this.timeoutMs),
    );
    try {
      // `initializedFn` runs once every existing key was delivered: in order inside the iteration, or before
      // `watch` resolves when the bucket is empty.
      watch = await this.#kv.watch({
        key: '>',
        headers_only: true,
        initializedFn: () => {
          listed = true;
          watch?.stop();
        },
      });
      if (listed) watch.stop();
      for await (const entry of watch) {
        if (entry.operation !== 'PUT' && entry.created.getTime() < beforeMs) {
          markers.push({ kvKey: entry.key, revision: entry.revision });
        }
      }
    } catch (error) {
      throw storeFailure(error, 'list delete markers', this.bucket, '', this.timeoutMs);
    } finally {
      this.#clock.clearTimeout(timer);
    }
    return markers;
  }

  /**
   * Removes each marker from the stream, with anything older on its key but never anything newer: a key written
   * again since it was listed keeps its value. Resolves with the number of messages removed.
   */
  async purgeMarkers(markers: readonly DeleteMarker[]): Promise<number> {
    if (markers.length === 0) return 0;
    const stream = `KV_${this.bucket}`;
    let purged = 0;
    try {
      const jsm = await this.#nc.jetstreamManager({ timeout: this.timeoutMs });
      for (let i = 0; i < markers.length; i += PURGES_IN_FLIGHT) {
        const responses = await Promise.all(
          markers.slice(i, i + PURGES_IN_FLIGHT).map((marker) =>
            jsm.streams.purge(stream, {
              filter: `$KV.${this.bucket}.${marker.kvKey}`,
              seq: marker.revision + 1,
            }),
          ),
        );
        for (const response of responses) purged += response.purged;
      }
    } catch (error) {
      throw storeFailure(error, 'purge delete markers', this.bucket, '', this.timeoutMs);
    }
    return purged;
  }

  /** The last message of the key, live or a marker; only used on conflict paths. */
  async #entryOf(kvKey: string, key: string): Promise<{ live: boolean; revision: number } | null> {
    try {
      const entry = await this.#kv.get(kvKey);
      return entry === null ? null : { live: entry.operation === 'PUT', revision: entry.revision };
    } catch (error) {
      throw storeFailure(error, 'get', this.bucket, key, this.timeoutMs);
    }
  }
}

/** True for the JetStream refusal of a conditional write (error code 10071), whatever the message says. */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { api_error?: { err_code?: unknown } }).api_error?.err_code === WRONG_LAST_SEQUENCE
  );
}

function conflict(key: string, expectedRevision: number | null, actualRevision: number | null): ConflictError {
  return new ConflictError({ key, expectedRevision, actualRevision });
}

/**
 * A failed KV operation as a Lucent error: nats.js timeouts become `TimeoutError`, values too large `EncodeError`,
 * anything else from the client or server (disconnected, no JetStream responders, closed) `NodeUnavailableError`;
 * Lucent errors pass through.
 * After a `TimeoutError` on a write the write may or may not have happened: read before retrying it.
 */
export function storeFailure(
  error: unknown,
  operation: string,
  bucket: string,
  key: string,
  timeoutMs: number,
): LucentError {
  if (error instanceof LucentError) return error;
  const target = `KV ${bucket} ${operation}${key === '' ? '' : ` '${key}'`}`;
  const failure = error as { code?: unknown; api_error?: { err_code?: unknown } } | null;
  if (failure?.code === 'TIMEOUT') return new TimeoutError({ target, timeoutMs }, { cause: error });
  // Too large for the connection (client check) or for the bucket's max value size (server check).
  if (failure?.code === 'MAX_PAYLOAD_EXCEEDED' || failure?.api_error?.err_code === MESSAGE_TOO_LARGE) {
    return new EncodeError({ reason: `${target}: value too large` }, { cause: error });
  }
  const reason = `${target}: ${error instanceof Error ? error.message : String(error)}`;
  return new NodeUnavailableError({ node: 'jetstream', reason }, { cause: error });
}
