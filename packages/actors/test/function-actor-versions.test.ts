/**
 * Versions of an actor type (issue 13): a new definition applies to activations made after it, live actors keep
 * theirs until they stop; snapshots are stamped with the version that wrote them, and a version that does not
 * declare it can restore a snapshot's version fails the activation with `SnapshotIncompatibleError` (through
 * Recovering), never starting it from scratch: the stored state stays as it was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineActor } from '../src/function-actor/define-actor.js';
import { VERSION_FIELD } from '../src/function-actor/snapshot-version.js';
import { counter, counterMachine, createHarness, rejectionCode } from './function-actor-fixtures.js';

let harness: ReturnType<typeof createHarness> | undefined;
afterEach(async () => {
  await harness?.kit.shutdown();
  harness = undefined;
});

const v2 = defineActor({ type: 'counter', machine: counterMachine, version: '2', restores: ['1', '2'] });
const v3 = defineActor({ type: 'counter', machine: counterMachine, version: '3' });

describe('actor type versions', () => {
  it('default to version 1, restoring 1, and stamp nothing', async () => {
    expect(counter.version).toBe('1');
    expect(counter.restores).toEqual(['1']);
    harness = createHarness();
    await harness.actors.ask('counter', 'c1', { type: 'inc' });
    await harness.actors.stop('counter', 'c1');
    expect((await harness.memory.load('counter/c1'))?.snapshot).not.toHaveProperty(VERSION_FIELD);
  });

  it('apply a new definition to the next activation; it restores the versions it declares and stamps its own', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await actors.ask('counter', 'c1', { type: 'inc', by: 2 });
    actors.define(v2);
    // The live activation keeps version 1 until it stops.
    await actors.ask('counter', 'c1', { type: 'inc' });
    expect((await memory.load('counter/c1'))?.snapshot).not.toHaveProperty(VERSION_FIELD);
    await actors.stop('counter', 'c1');
    expect(await actors.ask('counter', 'c1', { type: 'inc' })).toMatchObject({ count: 4 });
    expect((await memory.load('counter/c1'))?.snapshot).toMatchObject({ [VERSION_FIELD]: '2' });
  });

  it('refuse a snapshot the running version cannot restore: Recovering, a typed error, the state untouched', async () => {
    harness = createHarness();
    const { actors, memory, path } = harness;
    actors.define(v2);
    await actors.ask('counter', 'c1', { type: 'inc', by: 5 });
    await actors.stop('counter', 'c1');
    const stored = await memory.load('counter/c1');
    actors.define(v3);
    expect(await rejectionCode(actors.ask('counter', 'c1', { type: 'inc' }))).toBe('LUCENT_SNAPSHOT_INCOMPATIBLE');
    expect(path('counter', 'c1').slice(-2)).toEqual(['initializing>recovering', 'recovering>stopped']);
    expect(await memory.load('counter/c1')).toEqual(stored);
    // Back on a version that restores it, the state is all there.
    actors.define(v2);
    expect(await actors.ask('counter', 'c1', { type: 'inc' })).toMatchObject({ count: 6 });
  });

  it('refuse an invalid version or restores list', async () => {
    expect(() => defineActor({ type: 'x', machine: counterMachine, version: 'a b' })).toThrow(/version/);
    expect(() => defineActor({ type: 'x', machine: counterMachine, restores: [''] })).toThrow(/restores/);
  });
});
