/**
 * Durable persistence (the default): an ask is answered only once the snapshot that includes its message is stored,
 * messages of one turn share one save (group commit), and a failed or conflicting save answers nobody with success
 * and stops the activation. Also the other modes: write-behind replies first, `{ everyMs }` saves periodically.
 */
import { ConflictError, NodeUnavailableError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { defineActor } from '../src/function-actor/define-actor.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import type { StateStore, StoredSnapshot } from '../src/state-store.js';
import { FaultInjectingStateStore } from '../src/state-store.js';
import { createTestKit, type TestKit } from '../src/testkit.js';
import { counterMachine, rejectionCode } from './function-actor-fixtures.js';

/** Holds every save until `release()` (a slow store), then lets it through to the wrapped store. */
class GatedStore implements StateStore {
  readonly inner: StateStore;
  held: Array<() => void> = [];
  closed = false;
  saves = 0;

  constructor(inner: StateStore) {
    this.inner = inner;
  }

  load(key: string): Promise<StoredSnapshot | null> {
    return this.inner.load(key);
  }

  async save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    this.saves++;
    if (this.closed) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.inner.save(key, snapshot, expectedRevision);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  /** Lets every held save go on. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const resolve of held) resolve();
  }
}

const durable = defineActor({ type: 'durable', machine: counterMachine });
const behind = defineActor({ type: 'behind', machine: counterMachine, persist: 'write-behind' });
const periodic = defineActor({ type: 'periodic', machine: counterMachine, persist: { everyMs: 200 } });
const definitions = [durable, behind, periodic] as const;

let kit: TestKit | undefined;
afterEach(async () => {
  await kit?.shutdown();
  kit = undefined;
});

function setup() {
  kit = createTestKit();
  const memory = new MemoryStateStore();
  const faults = new FaultInjectingStateStore(memory);
  const gate = new GatedStore(faults);
  const failures: unknown[] = [];
  const actors = createFunctionActors({
    system: kit.system,
    store: gate,
    definitions,
    onPersistFailure: (failure) => failures.push(failure.error),
  });
  return { kit, memory, faults, gate, actors, failures };
}

/** Settles `promise` into a record that can be read synchronously after microtasks ran. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

describe("persist: 'durable' (default)", () => {
  it('is the default mode', () => {
    expect(durable.persist.mode).toBe('durable');
    expect(defineActor({ type: 'x', machine: counterMachine, persist: {} }).persist.mode).toBe('durable');
    expect(behind.persist).toMatchObject({ mode: 'write-behind', onTransition: true });
    expect(periodic.persist).toMatchObject({ mode: 'periodic', everyMs: 200 });
    // The deprecated spelling is an alias of write-behind.
    const legacy = defineActor({ type: 'x', machine: counterMachine, persist: { onTransition: true } });
    expect(legacy.persist.mode).toBe('write-behind');
  });

  it('answers an ask only after the snapshot that includes it is stored', async () => {
    const { kit, memory, gate, actors } = setup();
    await actors.ask('durable', 'd1', { type: 'inc' });
    gate.closed = true;
    const reply = track(actors.ask('durable', 'd1', { type: 'inc', by: 4 }));
    await kit.flush();
    expect(gate.held).toHaveLength(1); // the save started...
    expect(reply.done).toBe(false); // ...and the reply waits for it
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 1 } });
    gate.release();
    await kit.flush();
    expect(reply.value).toMatchObject({ count: 5 });
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 5 } });
  });

  it('group commit: N messages handled in one turn share one save', async () => {
    const { kit, gate, actors, memory } = setup();
    await actors.ask('durable', 'd1', { type: 'log', entry: 'start' }); // activated and stored
    const before = gate.saves;
    for (let i = 0; i < 10; i++) actors.tell('durable', 'd1', { type: 'inc' });
    const replies = await Promise.all(Array.from({ length: 10 }, () => actors.ask('durable', 'd1', { type: 'inc' })));
    expect(replies.map((r) => r.count)).toEqual(Array.from({ length: 10 }, (_, i) => 11 + i));
    expect(gate.saves - before).toBe(1);
    await kit.flush();
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 20 } });
  });

  it('saves of many actors in one turn are started together, before any completes', async () => {
    const { kit, gate, actors } = setup();
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => actors.ask('durable', id, { type: 'log', entry: 'x' })));
    gate.closed = true;
    const before = gate.saves;
    const replies = ['a', 'b', 'c', 'd'].map((id) => track(actors.ask('durable', id, { type: 'inc' })));
    await kit.flush();
    expect(gate.saves - before).toBe(4);
    expect(gate.held).toHaveLength(4); // all in flight at once
    expect(replies.some((r) => r.done)).toBe(false);
    gate.release();
    await kit.flush();
    expect(replies.every((r) => r.done && r.error === undefined)).toBe(true);
  });

  it('messages handled while a save is in flight form the next group (one more save)', async () => {
    const { kit, gate, actors, memory } = setup();
    await actors.ask('durable', 'd1', { type: 'log', entry: 'x' });
    gate.closed = true;
    const before = gate.saves;
    const first = track(actors.ask('durable', 'd1', { type: 'inc' }));
    await kit.flush();
    const rest = Array.from({ length: 5 }, () => track(actors.ask('durable', 'd1', { type: 'inc' })));
    await kit.flush();
    // The actor went on with its messages, but none of them is answered before its state is stored.
    expect(rest.some((r) => r.done)).toBe(false);
    expect(gate.saves - before).toBe(1);
    gate.closed = false;
    gate.release();
    await kit.flush();
    expect(first.value).toMatchObject({ count: 1 });
    expect(rest.map((r) => (r.value as { count: number }).count)).toEqual([2, 3, 4, 5, 6]);
    expect(gate.saves - before).toBe(2);
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 6 } });
  });

  it('answers an ask that changed nothing without a save', async () => {
    const { gate, actors } = setup();
    await actors.ask('durable', 'd1', { type: 'inc' });
    const before = gate.saves;
    expect(await actors.ask('durable', 'd1', { type: 'arm' }).then(() => 'ok')).toBe('ok'); // a change: saved
    expect(gate.saves - before).toBe(1);
    const reply = await actors.ask('durable', 'd1', { type: 'arm' }); // ignored in `armed`: nothing to store
    expect(reply.count).toBe(1);
    expect(gate.saves - before).toBe(1);
  });

  it('a failed save answers no ask with success: they get the error, the actor stops, the store keeps the acked state', async () => {
    const { kit, faults, actors, memory, failures } = setup();
    await actors.ask('durable', 'd1', { type: 'inc', by: 3 });
    const error = new NodeUnavailableError({ node: 'store', reason: 'injected' });
    faults.failNext('save', 1, error);
    const a = actors.ask('durable', 'd1', { type: 'inc' });
    const b = actors.ask('durable', 'd1', { type: 'inc' });
    expect(await rejectionCode(a)).toBe(NodeUnavailableError.code);
    expect(await rejectionCode(b)).toBe(NodeUnavailableError.code);
    expect(failures).toEqual([error]);
    expect(actors.status('durable', 'd1')).toBeUndefined(); // stopped without a final save
    await kit.flush();
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 3 } });
    // The next activation starts from what was acknowledged.
    expect((await actors.ask('durable', 'd1', { type: 'inc' })).count).toBe(4);
  });

  it('a stale owner: the save conflicts, callers get ConflictError, the actor stops and the newer state stays', async () => {
    const { kit, actors, memory } = setup();
    await actors.ask('durable', 'd1', { type: 'inc' });
    // Another owner wrote meanwhile.
    await memory.save(
      'durable/d1',
      { status: 'active', value: 'idle', context: { count: 99, log: [] }, children: {} },
      memory.revisionOf('durable/d1'),
    );
    const stale = actors.ask('durable', 'd1', { type: 'inc' });
    const queued = actors.ask('durable', 'd1', { type: 'inc' });
    expect(await rejectionCode(stale)).toBe(ConflictError.code);
    expect(await rejectionCode(queued)).toBe(ConflictError.code);
    expect(actors.status('durable', 'd1')).toBeUndefined();
    await kit.flush();
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 99 } });
    expect((await actors.ask('durable', 'd1', { type: 'inc' })).count).toBe(100);
  });

  it('an ask that changed nothing, right behind a change, is answered once stored, and the actor still stops', async () => {
    // Regression: a group with nothing left to write settled synchronously and left the in-flight slot set for
    // good, so the final flush of a stop looped forever (a microtask loop: timers starved too).
    const { kit, actors, memory } = setup();
    actors.tell('durable', 'd1', { type: 'inc' }); // activates it, and a change
    const unchanged = await actors.ask('durable', 'd1', { type: 'nothing' } as never); // no machine handles it
    expect(unchanged.count).toBe(1);
    const stopped = track(actors.stop('durable', 'd1'));
    for (let i = 0; i < 5 && !stopped.done; i++) await kit.flush();
    expect(stopped.done).toBe(true);
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 1 } });
  });

  it('a graceful stop stores what is held and answers it', async () => {
    const { gate, actors, memory } = setup();
    await actors.ask('durable', 'd1', { type: 'log', entry: 'x' });
    const reply = actors.ask('durable', 'd1', { type: 'inc', by: 2 });
    await actors.stop('durable', 'd1');
    expect((await reply).count).toBe(2);
    expect(gate.held).toHaveLength(0);
    expect((await memory.load('durable/d1'))?.snapshot).toMatchObject({ context: { count: 2 } });
  });
});

describe('other modes', () => {
  it("'write-behind' replies before the save is stored", async () => {
    const { kit, gate, actors, memory } = setup();
    await actors.ask('behind', 'b1', { type: 'log', entry: 'x' });
    await kit.flush();
    gate.closed = true;
    const reply = await actors.ask('behind', 'b1', { type: 'inc' });
    expect(reply.count).toBe(1);
    expect(gate.held.length).toBeGreaterThan(0); // its save is still held
    expect((await memory.load('behind/b1'))?.snapshot).toMatchObject({ context: { count: 0 } });
    gate.release();
    await kit.flush();
    expect((await memory.load('behind/b1'))?.snapshot).toMatchObject({ context: { count: 1 } });
  });

  it('{ everyMs } replies at once and saves each interval when changed (simulated clock)', async () => {
    const { kit, gate, actors, memory } = setup();
    expect((await actors.ask('periodic', 'p1', { type: 'inc' })).count).toBe(1);
    expect(gate.saves).toBe(0);
    expect(await memory.load('periodic/p1')).toBeNull(); // the window a crash could lose
    await kit.advance(200);
    expect((await memory.load('periodic/p1'))?.snapshot).toMatchObject({ context: { count: 1 } });
    await actors.ask('periodic', 'p1', { type: 'inc' });
    await actors.ask('periodic', 'p1', { type: 'inc' });
    await kit.advance(200);
    expect(gate.saves).toBe(2);
    expect((await memory.load('periodic/p1'))?.snapshot).toMatchObject({ context: { count: 3 } });
    await kit.advance(1_000); // nothing changed: no save
    expect(gate.saves).toBe(2);
  });
});
