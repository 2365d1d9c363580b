import { ConflictError, RecoveryFailedError, ShuttingDownError, UnknownActorTypeError } from '@lucent/core/internal';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { createHarness, faults, idleCounter, periodicCounter, rejectionCode } from './function-actor-fixtures.js';

let harness: ReturnType<typeof createHarness>;
afterEach(async () => {
  // terminate alone: a paused or initializing activation lets its held message go when the kernel stops it.
  await harness?.kit.shutdown();
});

describe('function actors: messages and replies', () => {
  it('activates on the first message and replies with the context by default (typed)', async () => {
    harness = createHarness();
    const { actors, path } = harness;
    expect(actors.activeCount).toBe(0);
    actors.tell('counter', 'c1', { type: 'inc', by: 2 });
    const reply = await actors.ask('counter', 'c1', { type: 'inc' });
    expectTypeOf(reply).toEqualTypeOf<{ count: number; log: string[] }>();
    expect(reply.count).toBe(3);
    expect(actors.activeCount).toBe(1);
    expect(actors.status('counter', 'c1')).toBe('running');
    expect(path('counter', 'c1')).toEqual(['initializing>running']);
  });

  it("replies with the emitted lucent.reply value under replyWith 'emit', and undefined for an ignored event", async () => {
    harness = createHarness();
    const ref = harness.actors.ref('account', 'a1');
    const reply = await ref.ask({ type: 'deposit', amount: 5 });
    expectTypeOf(reply).toEqualTypeOf<{ balance: number } | undefined>();
    expect(reply).toEqual({ balance: 5 });
    expect(await ref.ask({ type: 'noop' })).toBeUndefined();
    expect(await ref.ask({ type: 'deposit', amount: 1 })).toEqual({ balance: 6 });
  });

  it('an ask the machine ignores settles with the unchanged context', async () => {
    harness = createHarness();
    const reply = await harness.actors.ask('counter', 'c1', { type: 'arm' });
    expect(reply.count).toBe(0);
    expect(await harness.actors.ask('counter', 'c1', { type: 'arm' })).toEqual({ count: 0, log: [] });
  });

  it('rejects an unknown type with UnknownActorTypeError', async () => {
    harness = createHarness();
    const { actors } = harness;
    expect(await rejectionCode(actors.ask('nope' as 'counter', 'x', { type: 'inc' }))).toBe(UnknownActorTypeError.code);
    expect(() => actors.tell('nope' as 'counter', 'x', { type: 'inc' })).toThrow(
      expect.objectContaining({ code: UnknownActorTypeError.code }),
    );
    expect(() => actors.ref('nope' as 'counter', 'x')).toThrow(
      expect.objectContaining({ code: UnknownActorTypeError.code }),
    );
    expect(actors.activeCount).toBe(0);
  });

  it('activates a key exactly once under concurrent first messages', async () => {
    harness = createHarness();
    const { actors, store, path } = harness;
    const replies = await Promise.all(Array.from({ length: 20 }, () => actors.ask('counter', 'c1', { type: 'inc' })));
    expect(replies.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(store.calls.load).toBe(1);
    expect(actors.activeCount).toBe(1);
    expect(path('counter', 'c1')).toEqual(['initializing>running']);
  });

  it('advances delayed (after) transitions on the injected clock', async () => {
    harness = createHarness();
    const { actors, kit } = harness;
    await actors.ask('counter', 'c1', { type: 'arm' });
    await kit.advance(99);
    expect((await actors.ask('counter', 'c1', { type: 'log', entry: 'x' })).count).toBe(0);
    await kit.advance(1);
    expect((await actors.ask('counter', 'c1', { type: 'log', entry: 'y' })).count).toBe(100);
  });
});

describe('function actors: pause and resume', () => {
  it('holds messages sent while paused and delivers them in order on resume', async () => {
    harness = createHarness();
    const { actors, kit, path } = harness;
    await actors.ask('counter', 'c1', { type: 'log', entry: 'a' });
    expect(actors.pause('counter', 'c1')).toBe(true);
    expect(actors.pause('counter', 'c1')).toBe(false);
    expect(actors.status('counter', 'c1')).toBe('paused');
    actors.tell('counter', 'c1', { type: 'log', entry: 'b' });
    const held = actors.ask('counter', 'c1', { type: 'log', entry: 'c' }, { timeoutMs: 60_000 });
    actors.tell('counter', 'c1', { type: 'log', entry: 'd' });
    let settled = false;
    void held.then(() => {
      settled = true;
    });
    await kit.advance(1_000);
    expect(settled).toBe(false);
    expect(actors.resume('counter', 'c1')).toBe(true);
    expect((await held).log).toEqual(['a', 'b', 'c']);
    expect((await actors.ask('counter', 'c1', { type: 'log', entry: 'e' })).log).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(actors.resume('counter', 'c1')).toBe(false);
    expect(path('counter', 'c1')).toEqual(['initializing>running', 'running>paused', 'paused>running']);
  });

  it('an ask to a paused actor times out on the simulated clock', async () => {
    harness = createHarness();
    const { actors, kit } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('counter', 'c1');
    const ask = actors.ask('counter', 'c1', { type: 'inc' }, { timeoutMs: 500 });
    const code = rejectionCode(ask);
    await kit.advance(500);
    expect(await code).toBe('LUCENT_TIMEOUT');
  });

  it('stop drains a paused actor, then saves the final snapshot', async () => {
    harness = createHarness();
    const { actors, memory, path } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('counter', 'c1');
    actors.tell('counter', 'c1', { type: 'inc', by: 5 });
    await actors.stop('counter', 'c1');
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 6 } });
    expect(path('counter', 'c1')).toEqual([
      'initializing>running',
      'running>paused',
      'paused>stopping',
      'stopping>stopped',
    ]);
    expect(actors.activeCount).toBe(0);
  });
});

describe('function actors: recovery', () => {
  it('restores the state before a throwing action and retries the event', async () => {
    harness = createHarness();
    const { actors, path } = harness;
    await actors.ask('counter', 'c1', { type: 'inc', by: 2 });
    faults.flaky = 2; // maxRecoveryAttempts is 2: the second retry succeeds
    const reply = await actors.ask('counter', 'c1', { type: 'flaky' });
    expect(reply.count).toBe(12); // applied once, not once per attempt
    expect(faults.flaky).toBe(0);
    expect(path('counter', 'c1')).toEqual(['initializing>running', 'running>recovering', 'recovering>running']);
    expect((await actors.ask('counter', 'c1', { type: 'inc' })).count).toBe(13);
  });

  it('stops with RecoveryFailedError after N failed retries and comes back from the last saved snapshot', async () => {
    harness = createHarness();
    const { actors, changes, path, kit } = harness;
    await actors.ask('counter', 'c1', { type: 'inc', by: 7 });
    await actors.stop('counter', 'c1'); // saves count 7
    await actors.ask('counter', 'c1', { type: 'inc' }); // count 8, not saved
    const failed = actors.ask('counter', 'c1', { type: 'boom' });
    await expect(failed).rejects.toMatchObject({ code: RecoveryFailedError.code, details: { attempts: 2 } });
    const last = changes.at(-1);
    expect(last).toMatchObject({ type: 'counter', id: 'c1', from: 'recovering', to: 'stopped' });
    expect(RecoveryFailedError.is(last?.error)).toBe(true);
    expect(path('counter', 'c1')).toEqual([
      'initializing>running',
      'running>stopping',
      'stopping>stopped',
      'initializing>running',
      'running>recovering',
      'recovering>stopped',
    ]);
    expect(actors.activeCount).toBe(0);
    await kit.flush();
    // A new activation loads the last saved state (the unsaved increment is lost, the failing one never applied).
    expect((await actors.ask('counter', 'c1', { type: 'log', entry: 'back' })).count).toBe(7);
  });

  it('a failed snapshot load goes through recovering and retries the load', async () => {
    harness = createHarness();
    const { actors, store, path } = harness;
    await actors.ask('counter', 'c1', { type: 'inc', by: 3 });
    await actors.stop('counter', 'c1');
    store.failNext('load', 2);
    expect((await actors.ask('counter', 'c1', { type: 'inc' })).count).toBe(4);
    expect(path('counter', 'c1').slice(3)).toEqual(['initializing>recovering', 'recovering>running']);
  });

  it('too many failed loads stop the activation with RecoveryFailedError; held asks get that error', async () => {
    harness = createHarness();
    const { actors, store, changes } = harness;
    store.failNext('load', 3); // first try + 2 retries
    const first = actors.ask('counter', 'c1', { type: 'inc' });
    expect(await rejectionCode(first)).toBe(RecoveryFailedError.code);
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['initializing>recovering', 'recovering>stopped']);
    expect(actors.activeCount).toBe(0);
    // the store is back: the next message activates normally
    expect((await actors.ask('counter', 'c1', { type: 'inc' })).count).toBe(1);
  });

  it('a snapshot the machine cannot restore counts as a failed load', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await memory.save('counter/bad', { status: 'active', value: 'no-such-state', context: {}, children: {} }, null);
    expect(await rejectionCode(actors.ask('counter', 'bad', { type: 'inc' }))).toBe(RecoveryFailedError.code);
  });
  it('a delayed transition that throws is recovered from the state before it', async () => {
    harness = createHarness();
    const { actors, kit, path } = harness;
    await actors.ask('counter', 'c1', { type: 'inc', by: 3 });
    await actors.ask('counter', 'c1', { type: 'trap' });
    await kit.advance(50);
    expect(path('counter', 'c1')).toEqual(['initializing>running', 'running>recovering', 'recovering>running']);
    const reply = await actors.ask('counter', 'c1', { type: 'inc' });
    expect(reply.count).toBe(4);
  });

  it('a pause requested while initializing takes effect once loaded', async () => {
    harness = createHarness();
    const { actors, kit, path } = harness;
    actors.tell('counter', 'c1', { type: 'inc' });
    expect(actors.status('counter', 'c1')).toBe('initializing');
    expect(actors.pause('counter', 'c1')).toBe(true);
    await kit.flush();
    expect(path('counter', 'c1')).toEqual(['initializing>running', 'running>paused']);
    actors.resume('counter', 'c1');
    expect((await actors.ask('counter', 'c1', { type: 'inc' })).count).toBe(2);
  });
});

describe('function actors: persistence and passivation', () => {
  it('passivates an idle actor and reactivates it with its state', async () => {
    harness = createHarness();
    const { actors, kit, memory, path, store } = harness;
    await actors.ask('idle-counter', 'i1', { type: 'inc', by: 4 });
    await kit.advance(600);
    await actors.ask('idle-counter', 'i1', { type: 'inc' }); // activity moves the deadline
    await kit.advance(600);
    expect(actors.status('idle-counter', 'i1')).toBe('running');
    await kit.advance(400);
    expect(actors.status('idle-counter', 'i1')).toBeUndefined();
    expect(actors.activeCount).toBe(0);
    expect((await memory.load('idle-counter/i1'))?.snapshot).toMatchObject({ context: { count: 5 } });
    expect((await actors.ask('idle-counter', 'i1', { type: 'inc' })).count).toBe(6);
    expect(store.calls.load).toBe(2);
    expect(path('idle-counter', 'i1')).toEqual([
      'initializing>running',
      'running>stopping',
      'stopping>stopped',
      'initializing>running',
    ]);
  });

  it('a failed save at passivation keeps the actor active, reports it, and passivates later', async () => {
    const failures: unknown[] = [];
    harness = createHarness();
    const { kit, store, memory } = harness;
    const actors = createFunctionActors({
      system: kit.system,
      store,
      definitions: [idleCounter],
      onPersistFailure: (failure) => failures.push(failure),
    });
    await actors.ask('idle-counter', 'i1', { type: 'inc', by: 2 });
    store.failNext('save', 1);
    await kit.advance(1_000);
    expect(failures).toHaveLength(1);
    expect(actors.status('idle-counter', 'i1')).toBe('running');
    await kit.advance(1_000);
    expect(actors.status('idle-counter', 'i1')).toBeUndefined();
    expect((await memory.load('idle-counter/i1'))?.snapshot).toMatchObject({ context: { count: 2 } });
  });

  it('a paused actor does not passivate', async () => {
    harness = createHarness();
    const { actors, kit } = harness;
    await actors.ask('idle-counter', 'i1', { type: 'inc' });
    actors.pause('idle-counter', 'i1');
    await kit.advance(5_000);
    expect(actors.status('idle-counter', 'i1')).toBe('paused');
  });

  it('saves after each transition with onTransition, coalescing saves in flight', async () => {
    harness = createHarness();
    const { actors, memory, kit, store } = harness;
    for (let i = 0; i < 10; i++) actors.tell('eager-counter', 'e1', { type: 'inc' });
    await actors.ask('eager-counter', 'e1', { type: 'arm' }); // ignored for the count, but a state change
    await kit.flush();
    expect((await memory.load('eager-counter/e1'))?.snapshot).toMatchObject({ value: 'armed', context: { count: 10 } });
    expect(store.calls.save).toBeLessThan(11);
    const saves = store.calls.save;
    await actors.ask('eager-counter', 'e1', { type: 'log', entry: 'x' });
    await kit.flush();
    expect(store.calls.save).toBe(saves + 1);
  });

  it('saves every everyMs when the state changed', async () => {
    harness = createHarness();
    const { actors, memory, kit, store } = harness;
    await actors.ask('periodic-counter', 'p1', { type: 'inc' });
    expect(await memory.load('periodic-counter/p1')).toBeNull();
    await kit.advance(500);
    expect((await memory.load('periodic-counter/p1'))?.snapshot).toMatchObject({ context: { count: 1 } });
    const saves = store.calls.save;
    await kit.advance(1_000); // nothing changed: no save
    expect(store.calls.save).toBe(saves);
  });

  it('a ConflictError on save stops the stale owner without overwriting the newer state', async () => {
    harness = createHarness();
    const { actors, memory, kit, changes } = harness;
    await actors.ask('periodic-counter', 'p1', { type: 'inc' });
    await kit.advance(500); // first save
    const revision = memory.revisionOf('periodic-counter/p1');
    await memory.save(
      'periodic-counter/p1',
      { status: 'active', value: 'idle', context: { count: 99, log: [] }, children: {} },
      revision,
    );
    await actors.ask('periodic-counter', 'p1', { type: 'inc' });
    await kit.advance(500); // this save conflicts
    const last = changes.at(-1);
    expect(last).toMatchObject({ from: 'running', to: 'stopped' });
    expect(ConflictError.is(last?.error)).toBe(true);
    expect(actors.status('periodic-counter', 'p1')).toBeUndefined();
    expect((await memory.load('periodic-counter/p1'))?.snapshot).toMatchObject({ context: { count: 99 } });
    // the next activation picks up the newer state
    expect((await actors.ask('periodic-counter', 'p1', { type: 'inc' })).count).toBe(100);
  });

  it('a conflict on the final save makes stop reject with ConflictError', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    await memory.save(
      'counter/c1',
      { status: 'active', value: 'idle', context: { count: 50, log: [] }, children: {} },
      null,
    );
    expect(await rejectionCode(actors.stop('counter', 'c1'))).toBe(ConflictError.code);
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 50 } });
  });

  it('stopAll saves every activation; stopped actors come back on their next message', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await Promise.all(['a', 'b', 'c'].map((id, i) => actors.ask('counter', id, { type: 'inc', by: i + 1 })));
    actors.pause('counter', 'b');
    await actors.stopAll();
    expect(actors.activeCount).toBe(0);
    expect(memory.keys().sort()).toEqual(['counter/a', 'counter/b', 'counter/c']);
    expect((await actors.ask('counter', 'c', { type: 'inc' })).count).toBe(4);
  });

  it('a message sent while an activation stops reaches the next activation, after the final save', async () => {
    harness = createHarness();
    const { actors, store } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    const stopping = actors.stop('counter', 'c1');
    const reply = actors.ask('counter', 'c1', { type: 'inc' });
    await stopping;
    expect((await reply).count).toBe(2);
    expect(store.calls.load).toBe(2);
  });

  it('a store failure during a periodic save is reported and retried later', async () => {
    const failures: unknown[] = [];
    harness = createHarness();
    const { kit, store, memory } = harness;
    const actors = createFunctionActors({
      system: kit.system,
      store,
      definitions: [periodicCounter],
      onPersistFailure: (failure) => failures.push(failure),
    });
    await actors.ask('periodic-counter', 'x', { type: 'inc' });
    store.failNext('save', 1);
    await kit.advance(500);
    expect(failures).toHaveLength(1);
    expect(actors.status('periodic-counter', 'x')).toBe('running');
    await kit.advance(500);
    expect((await memory.load('periodic-counter/x'))?.snapshot).toMatchObject({ context: { count: 1 } });
  });

  it('system terminate saves the final snapshot; later messages reject with ShuttingDownError', async () => {
    harness = createHarness();
    const { actors, kit, memory } = harness;
    await actors.ask('counter', 'c1', { type: 'inc' });
    await kit.shutdown(); // terminate saves through postStop
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ context: { count: 1 } });
    expect(await rejectionCode(actors.ask('counter', 'c1', { type: 'inc' }))).toBe(ShuttingDownError.code);
  });
});
