/** The pure parts of routing: placement decisions, shard keys, actor targets and the subscription list. */
import { createRegistry, defineFunction } from '@lucent/core';
import { describe, expect, it } from 'vitest';
import { createInlineRunner } from '../src/router/function-runner.js';
import {
  actorKey,
  actorTargetSeparator,
  LOCAL,
  placeFunction,
  placeKey,
  shardKeyOf,
  viewSourceOf,
} from '../src/router/placement.js';
import { EVENT_QUEUE, FUNCTION_QUEUE, routerSubscriptions } from '../src/router/router-subscriptions.js';
import { rejection } from './error-code.js';
import { viewOf } from './fixed-view.js';

const keyed = defineFunction({ name: 'keyed', shardBy: 'order.customer' }, (_ctx, x: unknown) => x);
const unkeyed = defineFunction({ name: 'unkeyed', handles: ['B', 'A'] }, (_ctx, x: unknown) => x);
const alsoA = defineFunction({ name: 'alsoA', handles: 'A' }, (_ctx, x: unknown) => x);

describe('placement', () => {
  const view = viewOf('a', 'b', 'c');

  it('places a key on its ring owner: local for the owner, a forward for everyone else', () => {
    const owner = view.ring.owner('k-1');
    expect(placeKey('k-1', view, owner)).toBe(LOCAL);
    for (const other of ['a', 'b', 'c'].filter((n) => n !== owner)) {
      expect(placeKey('k-1', view, other)).toEqual({ type: 'forward', node: owner });
    }
  });

  it('places everything locally without a view or with an empty one', () => {
    expect(placeKey('k', undefined, 'a')).toBe(LOCAL);
    expect(placeKey('k', viewOf(), 'a')).toBe(LOCAL);
  });

  it('places unkeyed functions locally whatever the input, keyed ones by the shard key value', () => {
    expect(placeFunction(unkeyed, { anything: 1 }, view, 'zz')).toBe(LOCAL);
    const owner = view.ring.owner('7');
    expect(placeFunction(keyed, { order: { customer: 7 } }, view, owner)).toBe(LOCAL);
    expect(placeFunction(keyed, { order: { customer: '7' } }, view, 'zz')).toEqual({ type: 'forward', node: owner });
  });

  it('reads shard keys as strings and refuses missing or non-scalar ones with RoutingError', () => {
    expect(shardKeyOf(keyed, { order: { customer: 12n } })).toBe('12');
    expect(shardKeyOf(keyed, { order: { customer: true } })).toBe('true');
    expect(() => shardKeyOf(keyed, { order: {} })).toThrow(expect.objectContaining({ code: 'LUCENT_ROUTING' }));
    expect(() => shardKeyOf(keyed, { order: { customer: { id: 1 } } })).toThrow(
      expect.objectContaining({ code: 'LUCENT_ROUTING' }),
    );
    expect(() => shardKeyOf(unkeyed, {})).toThrow(expect.objectContaining({ code: 'LUCENT_ROUTING' }));
  });

  it('splits actor targets at the first slash and rejects targets without a type or an id', () => {
    expect(actorKey('counter', 'a/b')).toBe('counter/a/b');
    expect(actorTargetSeparator('counter/a/b')).toBe(7);
    expect(actorTargetSeparator('counter')).toBe(-1);
    expect(actorTargetSeparator('/id')).toBe(-1);
    expect(actorTargetSeparator('counter/')).toBe(-1);
  });

  it('reads a holder view at each decision', () => {
    const holder = { view: viewOf('a') };
    const source = viewSourceOf(holder);
    expect(source.current()?.members.map((m) => m.id)).toEqual(['a']);
    holder.view = viewOf('b');
    expect(source.current()?.members.map((m) => m.id)).toEqual(['b']);
  });
});

describe('router subscriptions', () => {
  it('lists the direct subject, one queue-group subject per function name and per handled event type', () => {
    const registry = createRegistry([keyed, unkeyed, alsoA]);
    expect(routerSubscriptions({ cluster: 'c1', nodeId: 'n1', functions: registry })).toEqual([
      { subject: 'lucent.c1.node.n1', queue: undefined },
      { subject: 'lucent.c1.fn.alsoA', queue: FUNCTION_QUEUE },
      { subject: 'lucent.c1.fn.keyed', queue: FUNCTION_QUEUE },
      { subject: 'lucent.c1.fn.unkeyed', queue: FUNCTION_QUEUE },
      { subject: 'lucent.c1.events.A', queue: EVENT_QUEUE },
      { subject: 'lucent.c1.events.B', queue: EVENT_QUEUE },
    ]);
  });

  it('refuses a node id that is not a subject token (ConfigError)', () => {
    expect(() => routerSubscriptions({ nodeId: 'a.b', functions: createRegistry() })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG' }),
    );
  });
});

describe('inline runner', () => {
  it('runs handlers, refuses expired deadlines without running, and types failures', async () => {
    let runs = 0;
    const counted = defineFunction({ name: 'counted' }, (_ctx, x: number) => {
      runs++;
      if (x < 0) throw new Error('negative');
      return x + 1;
    });
    const registry = createRegistry([counted]);
    const runner = createInlineRunner(registry, { now: () => 1_000 });
    expect(await runner.call('counted', 1)).toBe(2);
    expect(await runner.call('counted', 1, { deadline: 1_001 })).toBe(2);
    expect((await rejection(runner.call('counted', 1, { deadline: 1_000 }))).code).toBe('LUCENT_TIMEOUT');
    expect((await rejection(runner.call('counted', -1))).code).toBe('LUCENT_HANDLER');
    expect((await rejection(runner.call('missing', 1))).code).toBe('LUCENT_UNKNOWN_FUNCTION');
    registry.disable('counted');
    expect((await rejection(runner.call('counted', 1))).code).toBe('LUCENT_FUNCTION_DISABLED');
    expect(runs).toBe(3);
  });
});
