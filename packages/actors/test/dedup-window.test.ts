/**
 * The per-actor dedup window: the ring itself, its stored form, and function actors applying an identified message
 * at most once, also across a stop and reload (the window is stored with the snapshot).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEDUP_FIELD, DedupWindow, splitDedupWindow, withDedupWindow } from '../src/function-actor/dedup-window.js';
import { createHarness } from './function-actor-fixtures.js';

let harness: ReturnType<typeof createHarness> | undefined;
afterEach(async () => {
  await harness?.kit.shutdown();
  harness = undefined;
});

describe('DedupWindow', () => {
  it('remembers the last capacity ids and evicts the oldest first', () => {
    const window = new DedupWindow(3);
    for (const id of ['a', 'b', 'c', 'b']) window.add(id);
    expect(window.toArray()).toEqual(['a', 'b', 'c']);
    window.add('d');
    expect(window.has('a')).toBe(false);
    expect(window.toArray()).toEqual(['b', 'c', 'd']);
    expect(window.size).toBe(3);
    expect(new DedupWindow(3, window.toArray()).toArray()).toEqual(['b', 'c', 'd']);
    expect(() => new DedupWindow(0)).toThrow(RangeError);
  });

  it('round-trips through the stored snapshot and reads null as no snapshot', () => {
    const window = new DedupWindow(4, ['x', 'y']);
    const stored = withDedupWindow({ value: 'idle', context: { count: 1 } }, window);
    expect(stored).toEqual({ value: 'idle', context: { count: 1 }, [DEDUP_FIELD]: ['x', 'y'] });
    expect(splitDedupWindow(stored)).toEqual({ persisted: { value: 'idle', context: { count: 1 } }, ids: ['x', 'y'] });
    expect(splitDedupWindow({ value: 'idle' })).toEqual({ persisted: { value: 'idle' }, ids: [] });
    expect(splitDedupWindow(null)).toEqual({ persisted: undefined, ids: [] });
    expect(withDedupWindow({ value: 'idle' }, undefined)).toEqual({ value: 'idle' });
  });
});

describe('function actors: identified messages', () => {
  it('applies a message id once; the duplicate gets the current context', async () => {
    harness = createHarness();
    const { actors } = harness;
    expect(await actors.ask('counter', 'd1', { type: 'inc' }, { messageId: 'm-1' })).toMatchObject({ count: 1 });
    expect(await actors.ask('counter', 'd1', { type: 'inc' }, { messageId: 'm-2' })).toMatchObject({ count: 2 });
    expect(await actors.ask('counter', 'd1', { type: 'inc' }, { messageId: 'm-1' })).toMatchObject({ count: 2 });
    // Without an id nothing is deduplicated.
    expect(await actors.ask('counter', 'd1', { type: 'inc' })).toMatchObject({ count: 3 });
  });

  it('keeps the window across a stop and reload, so a retry on the next activation is not applied again', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await actors.ask('counter', 'd2', { type: 'inc' }, { messageId: 'm-1' });
    await actors.stop('counter', 'd2');
    const stored = (await memory.load('counter/d2'))?.snapshot as Record<string, unknown>;
    expect(stored[DEDUP_FIELD]).toEqual(['m-1']);
    expect(await actors.ask('counter', 'd2', { type: 'inc' }, { messageId: 'm-1' })).toMatchObject({ count: 1 });
    expect(await actors.ask('counter', 'd2', { type: 'inc' }, { messageId: 'm-3' })).toMatchObject({ count: 2 });
  });

  it('answers a duplicate to a replyWith emit actor with undefined instead of hanging', async () => {
    harness = createHarness();
    const { actors } = harness;
    const first = await actors.ask('account', 'a1', { type: 'deposit', amount: 5 } as never, { messageId: 'm-1' });
    expect(first).not.toBeUndefined();
    expect(await actors.ask('account', 'a1', { type: 'deposit', amount: 5 } as never, { messageId: 'm-1' })).toBe(
      undefined,
    );
  });

  it('loads a snapshot fenced as null (a fencing write on a new key) as a fresh actor', async () => {
    harness = createHarness();
    const { actors, memory } = harness;
    await memory.save('counter/d3', null, null);
    expect(await actors.ask('counter', 'd3', { type: 'inc' }, { messageId: 'm-1' })).toMatchObject({ count: 1 });
  });
});
