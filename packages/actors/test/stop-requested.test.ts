/**
 * A stop that begins while a message is in progress: the kernel tells the behavior (`stopRequested`), so one that
 * holds its current message (the function-actor gate while paused or initializing) lets go and the stop completes.
 * Regression tests for `terminate()` / `ref.stop()` hanging on a paused function actor.
 */
import { ActorStoppedError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailurePhase } from '../src/cell-runtime.js';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { FunctionActorHost, type FunctionActorServices } from '../src/function-actor/function-actor.js';
import { GroupCommit } from '../src/function-actor/group-commit.js';
import { BacklogTimer } from '../src/function-actor/mailbox-admission.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import type { StateStore, StoredSnapshot } from '../src/state-store.js';
import { createTestKit, flushMicrotasks, type TestKit } from '../src/testkit.js';
import type { Behavior } from '../src/types.js';
import { counter, createHarness, rejectionCode } from './function-actor-fixtures.js';

/** Resolves with true once `promise` settled within `turns` macrotask turns (no real time), else false. */
async function settlesWithin(promise: Promise<unknown>, turns = 50): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < turns && !settled; i++) await flushMicrotasks();
  return settled;
}

/** A store whose loads wait until `release()`: an activation stays initializing as long as the test wants. */
class HeldLoadStore implements StateStore {
  readonly inner = new MemoryStateStore();
  #release: (() => void) | undefined;
  readonly #held = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  release(): void {
    this.#release?.();
  }
  async load(key: string): Promise<StoredSnapshot | null> {
    await this.#held;
    return this.inner.load(key);
  }
  save(key: string, snapshot: unknown, expectedRevision: number | null): Promise<number> {
    return this.inner.save(key, snapshot, expectedRevision);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

let kit: TestKit | undefined;
afterEach(async () => {
  await kit?.shutdown();
  kit = undefined;
});

describe('kernel: stopRequested', () => {
  it('is called once when a stop begins during an async receive; settling it lets the stop finish', async () => {
    kit = createTestKit();
    const calls: string[] = [];
    let release: ((value: string) => void) | undefined;
    const behavior: Behavior<string> = {
      receive: (message) =>
        new Promise<string>((resolve) => {
          calls.push(`receive ${message}`);
          release = resolve;
        }),
      stopRequested: () => {
        calls.push('stopRequested');
        release?.('released');
      },
      postStop: () => void calls.push('postStop'),
    };
    const ref = kit.system.spawn(behavior);
    const current = ref.ask('a', { timeoutMs: 60_000 });
    const queued = rejectionCode(ref.ask('b', { timeoutMs: 60_000 }));
    await kit.flush();
    const stopped = ref.stop();
    void ref.stop(); // a second request: no second call
    const terminated = kit.system.terminate();
    expect(await settlesWithin(Promise.all([stopped, terminated]))).toBe(true);
    expect(await current).toBe('released');
    expect(await queued).toBe(ActorStoppedError.code);
    expect(calls).toEqual(['receive a', 'stopRequested', 'postStop']);
  });

  it('is not called when nothing is in progress', async () => {
    kit = createTestKit();
    let called = 0;
    const ref = kit.system.spawn<string>({ receive: () => undefined, stopRequested: () => void called++ });
    await ref.ask('a');
    await ref.stop();
    expect(called).toBe(0);
  });

  it('a throwing hook is reported with phase stopRequested; the stop still completes when the message does', async () => {
    const reported: FailurePhase[] = [];
    kit = createTestKit({ onError: (_error, _path, phase) => void reported.push(phase) });
    let release: (() => void) | undefined;
    const ref = kit.system.spawn<string>({
      receive: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      stopRequested: () => {
        throw new Error('hook');
      },
    });
    ref.tell('a');
    await kit.flush();
    const stopped = ref.stop();
    expect(reported).toEqual(['stopRequested']);
    expect(await settlesWithin(stopped, 5)).toBe(false);
    release?.();
    expect(await settlesWithin(stopped)).toBe(true);
    expect(ref.isStopped).toBe(true);
  });
});

describe('function actors: a stop while paused or initializing', () => {
  it('terminate() with a paused actor holding a tell and an ask: the tell is handled, the ask rejects, state saved', async () => {
    const harness = createHarness();
    const { actors, kit: testKit, memory, path } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    expect(actors.pause('counter', 'c1')).toBe(true);
    actors.tell('counter', 'c1', { type: 'inc', by: 5 }); // current: held by the gate
    const queued = rejectionCode(actors.ask('counter', 'c1', { type: 'inc', by: 100 }, { timeoutMs: 60_000 }));
    await testKit.flush();
    expect(await settlesWithin(testKit.system.terminate())).toBe(true);
    expect(await queued).toBe(ActorStoppedError.code);
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 6 } });
    expect(path('counter', 'c1')).toEqual([
      'initializing>running',
      'running>paused',
      'paused>stopping',
      'stopping>stopped',
    ]);
    expect(actors.activeCount).toBe(0);
  });

  it('terminate() with a paused actor whose held message is an ask: the ask resolves with the state it saved', async () => {
    const harness = createHarness();
    const { actors, kit: testKit, memory } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('counter', 'c1');
    const held = actors.ask('counter', 'c1', { type: 'inc', by: 2 }, { timeoutMs: 60_000 });
    actors.tell('counter', 'c1', { type: 'inc', by: 100 }); // queued: a dead letter
    const letters: unknown[] = [];
    testKit.system.onDeadLetter((letter) => letters.push(letter.message));
    await testKit.flush();
    expect(await settlesWithin(testKit.system.terminate())).toBe(true);
    expect((await held).count).toBe(3);
    expect(letters).toEqual([{ type: 'inc', by: 100 }]);
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 3 } });
  });

  it('terminate() while initializing with a pause pending: the held ask is handled once loaded, then saved', async () => {
    const store = new HeldLoadStore();
    const harness = createHarness();
    const { kit: testKit } = harness;
    const actors = createFunctionActors({ system: testKit.system, store, definitions: [counter] });
    const held = actors.ask('counter', 'c1', { type: 'inc', by: 7 }, { timeoutMs: 60_000 });
    expect(actors.pause('counter', 'c1')).toBe(true); // takes effect once loaded: would hold the ask forever
    await testKit.flush();
    const terminated = testKit.system.terminate();
    expect(await settlesWithin(terminated, 5)).toBe(false); // the load is still pending
    store.release();
    expect(await settlesWithin(terminated)).toBe(true);
    expect((await held).count).toBe(7);
    expect((await store.inner.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 7 } });
  });

  it('stop() of the kernel ref hosting a paused activation resolves and saves; the held ask settles', async () => {
    kit = createTestKit();
    const store = new MemoryStateStore();
    const released: FunctionActorHost[] = [];
    const services: FunctionActorServices = {
      store,
      clock: kit.clock,
      xstateOptions: { clock: kit.clock },
      commits: new GroupCommit(),
      onLifecycle: () => undefined,
      onRelease: (host) => void released.push(host),
      onPersistError: () => undefined,
      backlog: new BacklogTimer(kit.clock, () => undefined),
    };
    const host = new FunctionActorHost(counter, 'k1', services, undefined);
    const ref = kit.system.spawn<unknown>(host);
    expect(await ref.ask({ type: 'inc' })).toMatchObject({ count: 1 });
    expect(host.pause()).toBe(true);
    const held = ref.ask({ type: 'inc', by: 4 }, { timeoutMs: 60_000 });
    await kit.flush();
    expect(await settlesWithin(ref.stop())).toBe(true);
    expect(await held).toMatchObject({ count: 5 });
    expect(host.status).toBe('stopped');
    expect(released).toEqual([host]);
    expect((await store.load('counter/k1'))?.snapshot).toMatchObject({ context: { count: 5 } });
  });

  it('the directory stop of a paused actor (activator) drains it and saves, as before', async () => {
    const harness = createHarness();
    const { actors, memory } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('counter', 'c1');
    const held = actors.ask('counter', 'c1', { type: 'inc', by: 2 }, { timeoutMs: 60_000 });
    expect(await settlesWithin(actors.stop('counter', 'c1'))).toBe(true);
    expect((await held).count).toBe(3);
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 3 } });
    expect(await settlesWithin(harness.kit.system.terminate())).toBe(true);
  });
});
