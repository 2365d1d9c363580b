/**
 * Function actors under an activation guard: one actor runs in one place across directories (processes), and a
 * hand-off (`stopWhere`) moves an actor with its latest state.
 */
import { ConflictError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivationGuard } from '../src/function-actor/activation-guard.js';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { createTestKit } from '../src/testkit.js';
import { definitions, rejectionCode } from './function-actor-fixtures.js';

/** An in-memory lease table shared by several directories: the test double of the KV leases. */
class LeaseTable {
  readonly holders = new Map<string, string>();
  readonly #waiters = new Map<string, (() => void)[]>();
  readonly log: string[] = [];

  guardFor(owner: string, refuse?: () => unknown): ActivationGuard {
    return {
      acquire: async (type, id) => {
        const key = `${type}/${id}`;
        const refusal = refuse?.();
        if (refusal !== undefined) throw refusal;
        while (this.holders.has(key) && this.holders.get(key) !== owner) {
          await new Promise<void>((resolve) => this.#waiters.set(key, [...(this.#waiters.get(key) ?? []), resolve]));
        }
        this.holders.set(key, owner);
        this.log.push(`${owner} acquired ${key}`);
      },
      release: async (type, id) => {
        const key = `${type}/${id}`;
        if (this.holders.get(key) === owner) this.holders.delete(key);
        this.log.push(`${owner} released ${key}`);
        for (const wake of this.#waiters.get(key) ?? []) wake();
        this.#waiters.delete(key);
      },
    };
  }
}

const kits: ReturnType<typeof createTestKit>[] = [];
afterEach(async () => {
  await Promise.all(kits.splice(0).map((kit) => kit.shutdown()));
});

function directory(store: MemoryStateStore, guard: ActivationGuard) {
  const kit = createTestKit();
  kits.push(kit);
  return createFunctionActors({ system: kit.system, store, definitions, activationGuard: guard });
}

describe('function actors with an activation guard', () => {
  it('holds messages while another process has the actor, then hands it off with its latest state', async () => {
    const store = new MemoryStateStore();
    const leases = new LeaseTable();
    const a = directory(store, leases.guardFor('a'));
    const b = directory(store, leases.guardFor('b'));
    for (let i = 0; i < 10; i++) a.tell('counter', 'c1', { type: 'inc' });
    expect((await a.ask('counter', 'c1', { type: 'inc' })).count).toBe(11);
    expect(leases.holders.get('counter/c1')).toBe('a');

    // b is asked while a still runs it: b's activation waits, holding the messages in order.
    b.tell('counter', 'c1', { type: 'log', entry: 'first at b' });
    const atB = b.ask('counter', 'c1', { type: 'inc' });
    // A few event-loop turns (no clock time): the activation is parked on the lease, not on a timer.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(b.status('counter', 'c1')).toBe('initializing');
    expect(leases.log).toEqual(['a acquired counter/c1']);

    // Hand-off: a stops the actors it no longer owns; b then loads a's final state.
    await a.stopWhere((type, id) => type === 'counter' && id === 'c1');
    const reply = await atB;
    expect(reply).toEqual({ count: 12, log: ['first at b'] });
    expect(a.activeCount).toBe(0);
    expect(leases.holders.get('counter/c1')).toBe('b');
    expect(leases.log).toEqual(['a acquired counter/c1', 'a released counter/c1', 'b acquired counter/c1']);
  });

  it('stopWhere stops only the matching activations, each saved before it is released', async () => {
    const store = new MemoryStateStore();
    const leases = new LeaseTable();
    const a = directory(store, leases.guardFor('a'));
    await a.ask('counter', 'keep', { type: 'inc' });
    await a.ask('counter', 'move', { type: 'inc', by: 5 });
    await a.stopWhere((_type, id) => id === 'move');
    expect(a.status('counter', 'keep')).toBe('running');
    expect(a.status('counter', 'move')).toBeUndefined();
    expect(leases.holders.has('counter/move')).toBe(false);
    expect(leases.holders.get('counter/keep')).toBe('a');
    const saved = (await store.load('counter/move'))?.snapshot as { context: { count: number } } | undefined;
    expect(saved?.context.count).toBe(5);
  });

  it('a refused activation rejects its messages with the reason; the next message asks again', async () => {
    const store = new MemoryStateStore();
    const leases = new LeaseTable();
    let refusals = 1;
    const refusal = () =>
      refusals-- > 0 ? new ConflictError({ key: 'x', expectedRevision: null, actualRevision: 1 }) : undefined;
    const a = directory(store, leases.guardFor('a', refusal));
    expect(await rejectionCode(a.ask('counter', 'c1', { type: 'inc' }))).toBe(ConflictError.code);
    expect(a.activeCount).toBe(0);
    expect((await a.ask('counter', 'c1', { type: 'inc' })).count).toBe(1);
    // The refused activation never acquired, so it released nothing.
    expect(leases.log).toEqual(['a acquired counter/c1']);
  });

  it('stopAll releases every lease it holds', async () => {
    const store = new MemoryStateStore();
    const leases = new LeaseTable();
    const a = directory(store, leases.guardFor('a'));
    await Promise.all(['x', 'y', 'z'].map((id) => a.ask('counter', id, { type: 'inc' })));
    await a.stopAll();
    expect(leases.holders.size).toBe(0);
  });
});
