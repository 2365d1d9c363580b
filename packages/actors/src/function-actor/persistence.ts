/**
 * Saving one activation's snapshots through the {@link StateStore}, revision-guarded and coalesced.
 *
 * Durable (with a {@link GroupCommit}): `hold(reply, value)` keeps the answer to a message until the snapshot that
 * includes it is stored. The first change of a turn queues the activation on the group commit; at the end of the
 * turn one save carries every message handled so far, and its success answers all their replies. Messages handled
 * while that save is in flight form the next group (at most one save in flight). A failed save rejects every held
 * reply with its error and reports it (`onConflict` / `onSaveError`): the activation must stop, since its live
 * state holds changes nobody was told about.
 *
 * ```
 *  msg 1, msg 2 ─▶ hold ─▶ [group] ─(end of turn)─▶ save S2 ───────────▶ ok: reply 1, reply 2
 *  msg 3 (meanwhile) ─▶ hold ─▶ [next group] ─────────────────────────────▶ save S3 ─▶ ok: reply 3
 * ```
 *
 * Write-behind (no group commit): `requestSave()` returns at once; at most one save is in flight and requests made meanwhile collapse
 * into one more save of the latest snapshot. Dirtiness is a reference check on the live xstate snapshot (xstate
 * returns the same snapshot object for an ignored event), so asking "anything to save?" costs nothing.
 *
 * A `ConflictError` means another owner wrote since we last read: the persister turns *failed*, never writes again,
 * and reports through `onConflict` so the activation stops (a stale owner must never overwrite newer state).
 */
import { ConflictError } from '@lucent/core/internal';
import type { StateStore } from '../state-store.js';
import type { DeferredReply } from '../types.js';
import type { Committable, GroupCommit } from './group-commit.js';

/** The replies of one group, answered together when its save is stored. Made per group, only when an ask waits. */
class ReplyBatch {
  readonly replies: DeferredReply[] = [];
  readonly values: unknown[] = [];

  add(reply: DeferredReply, value: unknown): void {
    this.replies.push(reply);
    this.values.push(value);
  }

  resolveAll(): void {
    const { replies, values } = this;
    for (let i = 0; i < replies.length; i++) (replies[i] as DeferredReply).resolve(values[i]);
  }

  rejectAll(error: unknown): void {
    for (const reply of this.replies) reply.reject(error);
  }
}

/** What the persister needs from the activation it serves. */
export interface SnapshotSource {
  /** The store key (read per store call, so the source need not keep it as a string). */
  readonly key: string;
  /** The live xstate snapshot object, or `undefined` while there is none (initializing). */
  currentSnapshot(): object | undefined;
  /** The storable form of `snapshot` (`machine.getPersistedSnapshot`). */
  toPersisted(snapshot: object): unknown;
  /** A save lost a revision race; called once. */
  onConflict(error: ConflictError): void;
  /**
   * A save failed for another reason. Write-behind: the snapshot stays dirty and a later save retries. Durable: the
   * held replies were rejected with `error` and the persister writes no more; the activation must stop.
   */
  onSaveError(error: unknown): void;
}

/**
 * The saves of one activation. With `commits` it is durable (see the file comment), without it write-behind;
 * either way {@link flush} saves whatever is left (stop, passivation).
 */
export class SnapshotPersister implements Committable {
  readonly #store: StateStore;
  readonly #source: SnapshotSource;
  #revision: number | null = null;
  /**
   * The snapshot last saved or loaded, held weakly: an idle actor whose state changed since would otherwise keep two
   * snapshots alive (~0.5 KB). Once collected it cannot be the live one, so a dead reference reads as dirty.
   */
  #savedRef: WeakRef<object> | undefined = undefined;
  #inFlight: Promise<void> | null = null;
  #again = false;
  readonly #commits: GroupCommit | undefined;
  /** Durable: the replies of the group not yet saving; `null` while none waits. */
  #held: ReplyBatch | null = null;
  /** Durable: queued on the group commit (until its `commit` runs). */
  #queued = false;
  /**
   * Why the persister writes no more: a `ConflictError` (any mode), a failed durable save, or the activation gave up
   * (`abandon`). Held replies get it.
   */
  #failure: unknown = undefined;

  constructor(store: StateStore, source: SnapshotSource, commits?: GroupCommit) {
    this.#store = store;
    this.#source = source;
    this.#commits = commits;
  }

  /** True when replies wait for saves (a group commit was given). */
  get durable(): boolean {
    return this.#commits !== undefined;
  }

  /**
   * Durable: true when a reply given now would reveal state not yet stored (the live snapshot changed, or its save
   * is queued or in flight), so it must be held.
   */
  get mustHold(): boolean {
    return this.#inFlight !== null || this.#queued || this.isDirty;
  }

  /**
   * Durable: answers `reply` with `value` once the live snapshot is stored, and queues this activation's save on the
   * group commit (once per group). Without `reply` (a tell) only the save is queued. After a failure, rejects
   * `reply` at once with it.
   */
  hold(reply: DeferredReply | undefined, value: unknown): void {
    if (this.#failure !== undefined) {
      reply?.reject(this.#failure);
      return;
    }
    if (reply !== undefined) {
      this.#held ??= new ReplyBatch();
      this.#held.add(reply, value);
    }
    this.#queueCommit();
  }

  /** Durable: rejects the replies not yet saving with `error` and writes no more (the activation aborts). */
  abandon(error: unknown): void {
    this.#failure ??= error;
    const held = this.#held;
    this.#held = null;
    held?.rejectAll(error);
  }

  /** @internal Run by the group commit at the end of the turn: starts this group's save. */
  commit(): void {
    this.#queued = false;
    if (this.#failure !== undefined) return;
    if (this.#inFlight !== null) {
      this.#again = true; // a flush started one: the rest goes after it
      return;
    }
    this.#startCommit();
  }

  /** The revision of the last snapshot read or written, `null` when the key did not exist. */
  get revision(): number | null {
    return this.#revision;
  }

  /** The conflict that stopped this persister, if any. */
  get conflict(): ConflictError | undefined {
    return ConflictError.is(this.#failure) ? (this.#failure as ConflictError) : undefined;
  }

  /** True when the live snapshot differs from the last one saved or loaded. */
  get isDirty(): boolean {
    const current = this.#source.currentSnapshot();
    return current !== undefined && current !== this.#savedRef?.deref();
  }

  /** Reads the stored snapshot (and its revision, for the next save). Rejects when the store fails. */
  async load(): Promise<unknown> {
    const stored = await this.#store.load(this.#source.key);
    this.#revision = stored?.revision ?? null;
    return stored?.snapshot;
  }

  /** Marks `snapshot` as what the store holds (after a load or a restore from it), so it is not saved again. */
  markSaved(snapshot: object | undefined): void {
    this.#savedRef = snapshot === undefined ? undefined : new WeakRef(snapshot);
  }

  /** Starts a save of the live snapshot if it is dirty; coalesces with one in flight. Never throws. */
  requestSave(): void {
    if (this.#failure !== undefined) return;
    if (this.#inFlight !== null) {
      this.#again = true;
      return;
    }
    if (this.isDirty) this.#inFlight = this.#writeLoop();
  }

  /**
   * Resolves when everything requested so far is saved and the live snapshot is clean. Rejects with the
   * `ConflictError` or store error that prevented it (the final save of a stop).
   */
  async flush(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight;
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#commits !== undefined) {
      if (this.#failure !== undefined) throw this.#failure;
      if (!this.isDirty && this.#held === null) return;
      await this.#startCommit();
      if (this.#failure !== undefined) throw this.#failure;
      return;
    }
    if (!this.isDirty) return;
    // Claim the in-flight slot so a concurrent requestSave() coalesces instead of racing on the same revision.
    let error: unknown;
    this.#inFlight = this.#writeOnce().then((e) => {
      error = e;
      this.#inFlight = null;
    });
    await this.#inFlight;
    if (error !== undefined) throw error;
    if (this.#again) {
      this.#again = false;
      this.requestSave();
    }
  }

  #queueCommit(): void {
    if (this.#inFlight !== null) {
      this.#again = true; // the save in flight queues the next group when it is stored
      return;
    }
    if (this.#queued) return;
    this.#queued = true;
    (this.#commits as GroupCommit).schedule(this);
  }

  #startCommit(): Promise<void> {
    const batch = this.#held;
    this.#held = null;
    this.#again = false;
    if (!this.isDirty) {
      // Nothing to write: what the group's replies show is stored already. Settled here, synchronously, so no
      // in-flight slot is claimed (an async run that never awaits would clear the slot before it was set).
      this.#committed(batch);
      return Promise.resolve();
    }
    const inFlight = this.#commitOnce(batch);
    this.#inFlight = inFlight;
    return inFlight;
  }

  /** One group: saves the live snapshot, then answers or rejects the group's replies. */
  async #commitOnce(batch: ReplyBatch | null): Promise<void> {
    const error = await this.#writeOnce();
    this.#inFlight = null;
    if (error === undefined) {
      this.#committed(batch);
      return;
    }
    this.#failure ??= error;
    batch?.rejectAll(error);
    this.abandon(error);
    if (ConflictError.is(error)) this.#source.onConflict(error);
    else this.#source.onSaveError(error);
  }

  /** The group's state is stored: answer its replies, and queue what arrived meanwhile. */
  #committed(batch: ReplyBatch | null): void {
    batch?.resolveAll();
    if (this.#failure === undefined && (this.#again || this.#held !== null)) {
      this.#again = false;
      this.#queueCommit();
    }
  }

  async #writeLoop(): Promise<void> {
    do {
      this.#again = false;
      const error = await this.#writeOnce();
      if (error !== undefined) {
        if (ConflictError.is(error)) this.#source.onConflict(error);
        else this.#source.onSaveError(error);
        break;
      }
    } while (this.#again && this.isDirty);
    this.#inFlight = null;
  }

  /** One guarded write of the live snapshot; resolves with the error instead of rejecting. */
  async #writeOnce(): Promise<unknown> {
    const snapshot = this.#source.currentSnapshot();
    if (snapshot === undefined) return undefined;
    try {
      this.#revision = await this.#store.save(this.#source.key, this.#source.toPersisted(snapshot), this.#revision);
      this.markSaved(snapshot);
      return undefined;
    } catch (error) {
      if (ConflictError.is(error)) this.#failure = error;
      return error;
    }
  }
}
