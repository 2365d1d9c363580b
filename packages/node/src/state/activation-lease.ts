/**
 * Activation leases: one KV key per active actor (`lucent-<cluster>-leases`), so one actor runs in one place.
 *
 * ```
 * acquire(k, me)        create, atomic          → acquired | held by someone (+ who)
 * takeover(holder, me)  update at holder's rev  → acquired | held (another contender won)
 * renew(lease)          update at lease's rev   → lease with a new revision | ConflictError (lost it)
 * release(lease)        delete at lease's rev   → true | false (it was no longer ours)
 * purgeReleased(t)      purge markers before t  → how many (a lease acquired again since is kept)
 * ```
 * Every write names the revision it read, so of two contenders for a free or a dead owner's lease exactly one wins.
 *
 * Expiry. Server 2.9 has no per-key TTL, so a lease does not end by itself: the primary rule is the caller's
 * membership view. A node that finds a lease whose owner is dead (missed heartbeats) takes it over
 * (`mayTakeOver` in `lease-policy.ts`). Optionally, `ttlMs` sets the bucket's `max_age` as a backstop: with
 * history 1 each key's only message ages from its last write, so a lease not renewed within `ttlMs` disappears
 * and can be acquired again; holders must then renew well within `ttlMs` (e.g. every `ttlMs / 3`). It is off by
 * default because it makes renewals mandatory for every active actor, and the server checks expiry only
 * periodically. A stale holder can still act between losing its lease and noticing (its next renew rejects);
 * state writes are revision-checked too, so it cannot overwrite what the new owner saved.
 */
import { type Clock, ConflictError, DEFAULT_CLUSTER, DecodeError, systemClock } from '@lucent/core/internal';
import type { NatsConnection } from 'nats';
import { kvBucketName } from './kv-keys.js';
import { decodeKvValue, encodeKvValue } from './kv-value-codec.js';
import { RevisionedKv } from './revisioned-kv.js';

/** An activation lease as stored, with the revision the next write on it must name. */
export interface Lease {
  /** The actor key (e.g. `Counter/o-1`). */
  readonly key: string;
  /** Node id of the holder; must be unique per node process (see {@link ActivationLeases.acquire}). */
  readonly owner: string;
  /** Wall-clock ms when this owner got the lease. */
  readonly acquiredAtMs: number;
  /** Wall-clock ms of the last write by this owner (acquire or renew). */
  readonly renewedAtMs: number;
  readonly revision: number;
}

/** Result types of {@link ActivationLeases.acquire} and {@link ActivationLeases.takeover}. */
export const LeaseOutcomeType = { acquired: 'lease.acquired', held: 'lease.held' } as const;

export type LeaseOutcome =
  | { readonly type: typeof LeaseOutcomeType.acquired; readonly lease: Lease }
  | { readonly type: typeof LeaseOutcomeType.held; readonly holder: Lease };

export interface ActivationLeasesOptions {
  /** Cluster name; the bucket is `lucent-<cluster>-leases` unless `bucket` is given. Default `lucent`. */
  readonly cluster?: string;
  /** Explicit bucket name (`[-_a-zA-Z0-9]+`). */
  readonly bucket?: string;
  /** Bound on each KV operation (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Replicas when the bucket is created (default 1). */
  readonly replicas?: number;
  /** Bucket `max_age` backstop when the bucket is created (see the file comment). Default: none. */
  readonly ttlMs?: number;
  /**
   * Time source: lease times are its `wallNow()` (leases are compared across nodes, so not the monotonic
   * `now()`). Default `systemClock`.
   */
  readonly clock?: Clock;
}

/** Rounds of create-then-read before `acquire` gives up on a key that keeps changing hands. */
const MAX_ACQUIRE_ROUNDS = 3;

/**
 * Activation leases on a JetStream KV bucket; see the file comment. Create with {@link ActivationLeases.open}.
 * Every method can also reject with `TimeoutError` / `NodeUnavailableError` when JetStream does not answer; after a
 * timed-out `acquire` or `takeover`, calling `acquire` again tells whether it went through (it is idempotent).
 */
export class ActivationLeases {
  readonly #kv: RevisionedKv;
  readonly #clock: Clock;

  private constructor(kv: RevisionedKv, clock: Clock) {
    this.#kv = kv;
    this.#clock = clock;
  }

  /** Binds the lease bucket, creating it when missing (an existing bucket keeps its `max_age`). */
  static async open(nc: NatsConnection, options: ActivationLeasesOptions = {}): Promise<ActivationLeases> {
    const bucket = options.bucket ?? kvBucketName(options.cluster ?? DEFAULT_CLUSTER, 'leases');
    const clock = options.clock ?? systemClock;
    const kv = await RevisionedKv.open(nc, {
      bucket,
      clock,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    });
    return new ActivationLeases(kv, clock);
  }

  /** The bucket holding the leases. */
  get bucket(): string {
    return this.#kv.bucket;
  }

  /** The current lease on `key`, or `null` when nobody holds it. Rejects with `DecodeError` on a foreign value. */
  async current(key: string): Promise<Lease | null> {
    const record = await this.#kv.read(key);
    return record === null ? null : leaseFrom(key, decodeKvValue(record.value, `lease '${key}'`), record.revision);
  }

  /**
   * Takes the lease on `key` for `owner` if nobody holds it (atomic create: of concurrent callers exactly one gets
   * `lease.acquired`, the others `lease.held` with the winner). Idempotent per owner: if `owner` already holds it,
   * resolves `lease.acquired` with the stored lease, so owner ids must be unique per node process.
   * Rejects with `ConflictError` only if the key changed hands on every one of a few rounds.
   */
  async acquire(key: string, owner: string): Promise<LeaseOutcome> {
    const now = this.#clock.wallNow();
    const bytes = encodeLease(key, owner, now, now);
    for (let round = 0; round < MAX_ACQUIRE_ROUNDS; round++) {
      try {
        const revision = await this.#kv.create(key, bytes);
        return {
          type: LeaseOutcomeType.acquired,
          lease: { key, owner, acquiredAtMs: now, renewedAtMs: now, revision },
        };
      } catch (error) {
        if (!ConflictError.is(error)) throw error;
      }
      const holder = await this.current(key);
      // Released between our create and this read: try the create again.
      if (holder === null) continue;
      if (holder.owner === owner) return { type: LeaseOutcomeType.acquired, lease: holder };
      return { type: LeaseOutcomeType.held, holder };
    }
    throw new ConflictError({ key, expectedRevision: null, actualRevision: null });
  }

  /**
   * Replaces `holder` (as read by `current` or a `lease.held` outcome) with a lease for `owner`, only if the
   * stored lease is still exactly `holder`. Call it only when `mayTakeOver` says the holder is gone. If the lease
   * moved meanwhile, falls back to {@link acquire}: `lease.held` when another contender won, `lease.acquired`
   * when the lease was released and the create succeeded. Never replaces a lease other than `holder`.
   */
  async takeover(holder: Lease, owner: string): Promise<LeaseOutcome> {
    const now = this.#clock.wallNow();
    try {
      const revision = await this.#kv.update(holder.key, encodeLease(holder.key, owner, now, now), holder.revision);
      const lease: Lease = { key: holder.key, owner, acquiredAtMs: now, renewedAtMs: now, revision };
      return { type: LeaseOutcomeType.acquired, lease };
    } catch (error) {
      if (!ConflictError.is(error)) throw error;
    }
    return this.acquire(holder.key, owner);
  }

  /**
   * Writes a fresh `renewedAtMs` if `lease` is still the stored one and resolves with the lease at its new revision
   * (use that one from now on). Rejects with `ConflictError` when the lease was taken over, released or expired:
   * the caller no longer holds it and must stop the actor.
   */
  async renew(lease: Lease): Promise<Lease> {
    const now = this.#clock.wallNow();
    const bytes = encodeLease(lease.key, lease.owner, lease.acquiredAtMs, now);
    const revision = await this.#kv.update(lease.key, bytes, lease.revision);
    return { key: lease.key, owner: lease.owner, acquiredAtMs: lease.acquiredAtMs, renewedAtMs: now, revision };
  }

  /**
   * Gives the lease up if `lease` is still the stored one. Resolves `true` when it was released, `false` when it
   * was no longer ours (taken over, released or expired): then nothing is deleted. Idempotent.
   */
  async release(lease: Lease): Promise<boolean> {
    try {
      await this.#kv.remove(lease.key, lease.revision);
      return true;
    } catch (error) {
      if (ConflictError.is(error)) return false;
      throw error;
    }
  }

  /**
   * Purges what leases released before `beforeMs` (wall-clock ms) left behind: each release leaves a delete marker
   * that JetStream keeps for good, one per actor ever released. A lease acquired again since is left alone.
   * Resolves with the number of markers removed.
   */
  async purgeReleased(beforeMs: number): Promise<number> {
    return this.#kv.purgeMarkers(await this.#kv.deleteMarkers(beforeMs));
  }
}

/** The stored form: short and plain, readable by any msgpack tool. */
interface LeaseRecord {
  readonly owner: string;
  readonly acquiredAtMs: number;
  readonly renewedAtMs: number;
}

function encodeLease(key: string, owner: string, acquiredAtMs: number, renewedAtMs: number): Uint8Array {
  const record: LeaseRecord = { owner, acquiredAtMs, renewedAtMs };
  return encodeKvValue(record, `lease '${key}'`);
}

function leaseFrom(key: string, value: unknown, revision: number): Lease {
  const record = value as Partial<LeaseRecord> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.owner !== 'string' ||
    typeof record.acquiredAtMs !== 'number' ||
    typeof record.renewedAtMs !== 'number'
  ) {
    throw new DecodeError({ reason: `lease '${key}' is not a lease record`, byteLength: 0 });
  }
  return { key, owner: record.owner, acquiredAtMs: record.acquiredAtMs, renewedAtMs: record.renewedAtMs, revision };
}
