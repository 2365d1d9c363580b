/**
 * Saving one activation's snapshots through the {@link StateStore}, revision-guarded and coalesced.
 *
 * Write-behind: `requestSave()` returns at once; at most one save is in flight and requests made meanwhile collapse
 * into one more save of the latest snapshot. Dirtiness is a reference check on the live xstate snapshot (xstate
 * returns the same snapshot object for an ignored event), so asking "anything to save?" costs nothing.
 *
 * A `ConflictError` means another owner wrote since we last read: the persister turns *failed*, never writes again,
 * and reports through `onConflict` so the activation stops (a stale owner must never overwrite newer state).
 */
import { ConflictError } from '@lucent/core/internal';
import type { StateStore } from '../state-store.js';

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
  /** A save failed for another reason; the snapshot stays dirty and a later save retries. */
  onSaveError(error: unknown): void;
}

export class SnapshotPersister {
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
  #conflict: ConflictError | undefined = undefined;

  constructor(store: StateStore, source: SnapshotSource) {
    this.#store = store;
    this.#source = source;
  }

  /** The revision of the last snapshot read or written, `null` when the key did not exist. */
  get revision(): number | null {
    return this.#revision;
  }

  /** The conflict that stopped this persister, if any. */
  get conflict(): ConflictError | undefined {
    return this.#conflict;
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
    if (this.#conflict !== undefined) return;
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
    if (this.#conflict !== undefined) throw this.#conflict;
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
      if (ConflictError.is(error)) this.#conflict = error as ConflictError;
      return error;
    }
  }
}
