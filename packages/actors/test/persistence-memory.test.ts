/**
 * The persister holds the last saved snapshot weakly: an idle actor whose state changed since its last save keeps
 * one snapshot alive (its live one), not two. Dirtiness stays exact.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ConflictError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { SnapshotPersister, type SnapshotSource } from '../src/function-actor/persistence.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { flushMicrotasks } from '../src/testkit.js';

/** `global.gc` without `--expose-gc`: the flag can be set at run time and read from a fresh context. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

class Source implements SnapshotSource {
  readonly key = 'counter/p1';
  current: object | undefined = undefined;
  currentSnapshot(): object | undefined {
    return this.current;
  }
  toPersisted(snapshot: object): unknown {
    return { ...snapshot };
  }
  onConflict(_error: ConflictError): void {}
  onSaveError(_error: unknown): void {}
}

describe('SnapshotPersister memory', () => {
  it('is dirty exactly when the live snapshot is not the one last saved', async () => {
    const source = new Source();
    const store = new MemoryStateStore();
    const persister = new SnapshotPersister(store, source);
    const first = { n: 1 };
    source.current = first;
    persister.markSaved(first);
    expect(persister.isDirty).toBe(false);
    source.current = { n: 2 };
    expect(persister.isDirty).toBe(true);
    await persister.flush();
    expect(persister.isDirty).toBe(false);
    expect((await store.load('counter/p1'))?.snapshot).toEqual({ n: 2 });
  });

  it('does not keep the saved snapshot alive once the live one moved on', async () => {
    const gc = exposeGc();
    const source = new Source();
    const persister = new SnapshotPersister(new MemoryStateStore(), source);
    let saved: object | undefined = { n: 1 };
    const probe = new WeakRef(saved);
    persister.markSaved(saved);
    source.current = { n: 2 };
    saved = undefined;
    await flushMicrotasks(); // WeakRef targets live until the end of the job that made them
    gc();
    expect(probe.deref()).toBeUndefined();
    expect(persister.isDirty).toBe(true);
  });
});
