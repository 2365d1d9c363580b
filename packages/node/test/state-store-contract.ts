/**
 * The behaviour every `StateStore` must have, as one suite that runs against each implementation:
 * `MemoryStateStore` in `state-store-contract.test.ts`, `KvStateStore` against a real nats-server in
 * `integration/state-kv-store.test.ts`. If the twin and the real store ever disagree, one of them fails here.
 */
import type { StateStore } from '@lucent/actors/internal';
import { ConflictError, EncodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOfSettled } from './error-code.js';

export interface StateStoreContractOptions {
  /** A fresh, empty store for each test. */
  readonly makeStore: () => Promise<StateStore>;
  /** Runs of the model-based property (each run is ~30 operations). */
  readonly propertyRuns: number;
}

/** The error code a promise rejects with, or `undefined` when it resolves. */

/** Registers the contract suite under `name`. */
export function describeStateStoreContract(name: string, options: StateStoreContractOptions): void {
  const { makeStore } = options;

  describe(`StateStore contract: ${name}`, () => {
    it('loads null for a missing key and round-trips a snapshot with its revision', async () => {
      const store = await makeStore();
      expect(await store.load('Order/o-1')).toBeNull();
      const snapshot = {
        status: 'active',
        value: { payment: 'pending' },
        context: { n: 1, items: [{ sku: 'a', qty: 2 }], note: null, missing: undefined, price: -0.5 },
        historyValue: {},
      };
      const revision = await store.save('Order/o-1', snapshot, null);
      expect(revision).toBeGreaterThan(0);
      expect(await store.load('Order/o-1')).toEqual({ snapshot, revision });
    });

    it('null means "must not exist": a create over a live key is a ConflictError naming its revision', async () => {
      const store = await makeStore();
      const r1 = await store.save('k', 1, null);
      await expect(store.save('k', 2, null)).rejects.toMatchObject({
        code: ConflictError.code,
        details: { key: 'k', expectedRevision: null, actualRevision: r1 },
      });
      expect(await store.load('k')).toEqual({ snapshot: 1, revision: r1 });
    });

    it('a stale revision is a ConflictError and writes nothing', async () => {
      const store = await makeStore();
      const r1 = await store.save('k', 1, null);
      const r2 = await store.save('k', 2, r1);
      expect(r2).toBeGreaterThan(r1);
      await expect(store.save('k', 3, r1)).rejects.toMatchObject({
        code: ConflictError.code,
        details: { key: 'k', expectedRevision: r1, actualRevision: r2 },
      });
      expect(await store.load('k')).toEqual({ snapshot: 2, revision: r2 });
    });

    it('a revision for a key that does not exist is a ConflictError with actualRevision null', async () => {
      const store = await makeStore();
      await expect(store.save('never', 1, 12345)).rejects.toMatchObject({
        code: ConflictError.code,
        details: { key: 'never', expectedRevision: 12345, actualRevision: null },
      });
      expect(await store.load('never')).toBeNull();
    });

    it('revisions increase across keys', async () => {
      const store = await makeStore();
      const a = await store.save('a', 1, null);
      const b = await store.save('b', 1, null);
      const a2 = await store.save('a', 2, a);
      expect(b).toBeGreaterThan(a);
      expect(a2).toBeGreaterThan(b);
    });

    it('of two concurrent writers with the same expected revision exactly one wins', async () => {
      const store = await makeStore();
      const r1 = await store.save('k', 'start', null);
      const results = await Promise.allSettled([store.save('k', 'left', r1), store.save('k', 'right', r1)]);
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect((losers[0] as PromiseRejectedResult).reason).toMatchObject({ code: ConflictError.code });
      const won = (winners[0] as PromiseFulfilledResult<number>).value;
      const loaded = await store.load('k');
      expect(loaded?.revision).toBe(won);
      expect(loaded?.snapshot).toBe(results[0]?.status === 'fulfilled' ? 'left' : 'right');
    });

    it('of two concurrent creates exactly one wins', async () => {
      const store = await makeStore();
      const results = await Promise.allSettled([store.save('k', 'left', null), store.save('k', 'right', null)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    });

    it('copies snapshots in and out, and rejects what a real store could not carry', async () => {
      const store = await makeStore();
      const snapshot = { context: { items: [1] } };
      await store.save('k', snapshot, null);
      snapshot.context.items.push(2);
      const load = async () => (await store.load('k'))?.snapshot as typeof snapshot;
      const loaded = await load();
      expect(loaded.context.items).toEqual([1]);
      loaded.context.items.push(3);
      expect((await load()).context.items).toEqual([1]);
      expect(await codeOfSettled(store.save('f', { fn: () => 1 }, null))).toBe(EncodeError.code);
      expect(await codeOfSettled(store.save('s', { s: Symbol('x') }, null))).toBe(EncodeError.code);
      expect(await store.load('f')).toBeNull();
    });

    it('delete is idempotent, frees the key for a create, and voids the old revision', async () => {
      const store = await makeStore();
      const r1 = await store.save('k', 1, null);
      await store.delete('k');
      await store.delete('k');
      await store.delete('never-written');
      expect(await store.load('k')).toBeNull();
      await expect(store.save('k', 2, r1)).rejects.toMatchObject({
        code: ConflictError.code,
        details: { actualRevision: null },
      });
      const r2 = await store.save('k', 2, null);
      expect(r2).toBeGreaterThan(r1);
      expect(await store.load('k')).toEqual({ snapshot: 2, revision: r2 });
    });

    it('keeps keys apart whatever characters they hold', async () => {
      const store = await makeStore();
      const keys = ['Order/a.b c', 'Order/a=2Eb c', 'Order/a_b', 'Ünï/ключ/🙂', '', '=', '*', '>', 'a..b', '.x.'];
      for (const [i, key] of keys.entries()) await store.save(key, { i }, null);
      for (const [i, key] of keys.entries()) expect((await store.load(key))?.snapshot).toEqual({ i });
    });

    it('behaves like a map with compare-and-set (property)', async () => {
      const store = await makeStore();
      let run = 0;
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
          // One store for all runs (a KV bucket per run would be slow); each run gets its own keys.
          const prefix = `run${run++}/`;
          const model = new Map<string, { v: number; revision: number }>();
          for (const o of ops) {
            const key = prefix + o.key;
            if (o.kind === 'delete') {
              await store.delete(key);
              model.delete(key);
              continue;
            }
            const current = model.get(key)?.revision ?? null;
            const expected = o.stale ? (current === null ? 999_999 : null) : current;
            const attempt = store.save(key, o.v, expected);
            if (o.stale) {
              expect(await codeOfSettled(attempt)).toBe(ConflictError.code);
            } else {
              model.set(key, { v: o.v, revision: await attempt });
            }
          }
          for (const k of ['a', 'b']) {
            const loaded = await store.load(prefix + k);
            const expected = model.get(prefix + k);
            expect(loaded === null ? undefined : { v: loaded.snapshot, revision: loaded.revision }).toEqual(expected);
          }
        }),
        { numRuns: options.propertyRuns },
      );
    });
  });
}
