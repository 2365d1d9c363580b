import { ConflictError, EncodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { FaultInjectingStateStore, InjectedStoreFault } from '../src/state-store.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('MemoryStateStore', () => {
  it('loads null for a missing key and round-trips a snapshot with its revision', async () => {
    const store = new MemoryStateStore();
    expect(await store.load('a/1')).toBeNull();
    const revision = await store.save('a/1', { value: 'idle', context: { n: 1 } }, null);
    expect(await store.load('a/1')).toEqual({ snapshot: { value: 'idle', context: { n: 1 } }, revision });
    expect(store.revisionOf('a/1')).toBe(revision);
  });

  it('guards writes by revision: null means must not exist, a moved revision is a ConflictError', async () => {
    const store = new MemoryStateStore();
    const r1 = await store.save('k', 1, null);
    expect(await codeOf(store.save('k', 2, null))).toBe(ConflictError.code);
    const r2 = await store.save('k', 2, r1);
    expect(r2).toBeGreaterThan(r1);
    expect(await codeOf(store.save('k', 3, r1))).toBe(ConflictError.code);
    expect((await store.load('k'))?.snapshot).toBe(2);
    await store.save('k2', 1, null).catch(() => undefined);
    await expect(store.save('k', 4, r1)).rejects.toMatchObject({
      code: ConflictError.code,
      details: { key: 'k', expectedRevision: r1, actualRevision: r2 },
    });
  });

  it('revisions increase across keys, like a KV stream sequence', async () => {
    const store = new MemoryStateStore();
    const a = await store.save('a', 1, null);
    const b = await store.save('b', 1, null);
    const a2 = await store.save('a', 2, a);
    expect(b).toBeGreaterThan(a);
    expect(a2).toBeGreaterThan(b);
  });

  it('copies snapshots in and out, and rejects what a real store could not carry', async () => {
    const store = new MemoryStateStore();
    const snapshot = { context: { items: [1] } };
    await store.save('k', snapshot, null);
    snapshot.context.items.push(2);
    const load = async () => (await store.load('k'))?.snapshot as typeof snapshot;
    const loaded = await load();
    expect(loaded.context.items).toEqual([1]);
    loaded.context.items.push(3);
    expect((await load()).context.items).toEqual([1]);
    expect(await codeOf(store.save('f', { fn: () => 1 }, null))).toBe(EncodeError.code);
    expect(await store.load('f')).toBeNull();
  });

  it('delete is idempotent and frees the key for a create', async () => {
    const store = new MemoryStateStore();
    await store.save('k', 1, null);
    await store.delete('k');
    await store.delete('k');
    expect(await store.load('k')).toBeNull();
    await expect(store.save('k', 2, null)).resolves.toBeTypeOf('number');
  });

  it('behaves like a map with compare-and-set (property)', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('save' as const),
        key: fc.constantFrom('a', 'b'),
        stale: fc.boolean(),
        v: fc.nat(),
      }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const store = new MemoryStateStore();
        const model = new Map<string, { v: number; revision: number }>();
        for (const o of ops) {
          if (o.kind === 'delete') {
            await store.delete(o.key);
            model.delete(o.key);
            continue;
          }
          const current = model.get(o.key)?.revision ?? null;
          const expected = o.stale ? (current === null ? 999 : null) : current;
          const code = await codeOf(store.save(o.key, o.v, expected));
          if (o.stale) {
            expect(code).toBe(ConflictError.code);
          } else {
            expect(code).toBeUndefined();
            model.set(o.key, { v: o.v, revision: store.revisionOf(o.key) as number });
          }
        }
        for (const key of ['a', 'b']) {
          const loaded = await store.load(key);
          const expected = model.get(key);
          expect(loaded === null ? undefined : { v: loaded.snapshot, revision: loaded.revision }).toEqual(expected);
        }
      }),
    );
  });
});

describe('FaultInjectingStateStore', () => {
  it('fails the next N calls of one operation, then passes through', async () => {
    const inner = new MemoryStateStore();
    await inner.save('k', 'v', null);
    const store = new FaultInjectingStateStore(inner).failNext('load', 2);
    await expect(store.load('k')).rejects.toBeInstanceOf(InjectedStoreFault);
    await expect(store.load('k')).rejects.toBeInstanceOf(InjectedStoreFault);
    expect(store.pendingFaults('load')).toBe(0);
    expect((await store.load('k'))?.snapshot).toBe('v');
    expect(store.calls.load).toBe(3);
    // other operations are unaffected
    await expect(store.save('k2', 1, null)).resolves.toBeTypeOf('number');
  });

  it('rejects with the injected error when one is given', async () => {
    const store = new FaultInjectingStateStore(new MemoryStateStore());
    const error = new ConflictError({ key: 'k', expectedRevision: null, actualRevision: 7 });
    store.failNext('save', 1, error);
    await expect(store.save('k', 1, null)).rejects.toBe(error);
    expect(await new MemoryStateStore().load('k')).toBeNull();
  });
});
