/** Placement: where a keyed call, an unkeyed call and an actor message go, with and without a cluster view. */
import { describe, expect, it } from 'vitest';
import { type ClusterView, createClusterView } from '../src/cluster-view.js';
import { defineFunction } from '../src/definition.js';
import { RoutingError } from '../src/errors.js';
import { actorKey, actorTargetSeparator } from '../src/placement/actor-key.js';
import { placeActor, placeFunction, placeKey } from '../src/placement/place.js';
import { ANY_NODE, isRemote, nodePlacement, PlacementType, UNPLACED } from '../src/placement/placement.js';
import { shardKeyOf } from '../src/placement/shard-key.js';
import { fixedViewSource, viewSourceOf } from '../src/placement/view-source.js';
import type { LoadReport } from '../src/scoring.js';
import { codeOf } from './error-code.js';

const idle: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 10, queueDepth: 0, maxQueue: 100 };
const viewOf = (...ids: string[]): ClusterView =>
  createClusterView(
    ids.map((id) => ({ id, tags: [], load: idle })),
    { vnodesPerWeight: 64 },
  );

const keyed = defineFunction({ name: 'keyed', shardBy: 'order.customer' }, (_ctx, x: unknown) => x);
const unkeyed = defineFunction({ name: 'unkeyed' }, (_ctx, x: unknown) => x);
const view = viewOf('a', 'b', 'c');

/** A key of `prefix` that `node` owns in `view`. */
function keyOwnedBy(node: string, prefix: string): string {
  for (let i = 0; i < 10_000; i++) if (view.ring.owner(`${prefix}${i}`) === node) return `${prefix}${i}`;
  throw new Error(`no key for ${node}`);
}

describe('placeKey', () => {
  it('places a key on its ring owner, as a shared frozen result', () => {
    for (const node of ['a', 'b', 'c']) {
      const key = keyOwnedBy(node, 'k-');
      const placement = placeKey(key, view);
      expect(placement).toEqual({ type: PlacementType.Node, node });
      expect(Object.isFrozen(placement)).toBe(true);
      expect(placeKey(key, view)).toBe(placement); // no allocation per decision
      expect(nodePlacement(node)).toBe(placement);
    }
  });

  it('is unplaced without a view or with an empty one', () => {
    expect(placeKey('k', undefined)).toBe(UNPLACED);
    expect(placeKey('k', viewOf())).toBe(UNPLACED);
  });
});

describe('placeFunction', () => {
  it('places an unkeyed call on any node, whatever the input and the view', () => {
    expect(placeFunction(unkeyed, { anything: 1 }, view)).toBe(ANY_NODE);
    expect(placeFunction(unkeyed, undefined, undefined)).toBe(ANY_NODE);
    expect(placeFunction(unkeyed, null, viewOf())).toBe(ANY_NODE);
  });

  it('places a keyed call on the ring owner of its shard key; numbers and strings agree', () => {
    const key = keyOwnedBy('b', '');
    const asNumber = placeFunction(keyed, { order: { customer: Number(key) } }, view);
    expect(asNumber).toEqual({ type: PlacementType.Node, node: 'b' });
    expect(placeFunction(keyed, { order: { customer: key } }, view)).toBe(asNumber);
    expect(placeFunction(keyed, { order: { customer: BigInt(key) } }, view)).toBe(asNumber);
  });

  it('leaves a keyed call unplaced without a view, after checking its key', () => {
    expect(placeFunction(keyed, { order: { customer: 'x' } }, undefined)).toBe(UNPLACED);
    expect(placeFunction(keyed, { order: { customer: 'x' } }, viewOf())).toBe(UNPLACED);
    expect(codeOf(() => placeFunction(keyed, { order: {} }, undefined))).toBe(RoutingError.code);
  });

  it('refuses a keyed call without a scalar shard key with RoutingError naming the function and field', () => {
    for (const input of [{}, { order: {} }, { order: { customer: null } }, { order: { customer: { id: 1 } } }, 7]) {
      let thrown: unknown;
      try {
        placeFunction(keyed, input, view);
      } catch (error) {
        thrown = error;
      }
      expect(RoutingError.is(thrown)).toBe(true);
      expect((thrown as RoutingError).details).toMatchObject({ target: 'keyed', field: 'order.customer' });
    }
  });
});

describe('placeActor', () => {
  it('places an actor on the ring owner of type/id, and leaves it unplaced without a view', () => {
    const owner = view.ring.owner('counter/c-7');
    expect(placeActor(actorKey('counter', 'c-7'), view)).toBe(nodePlacement(owner));
    expect(placeActor(actorKey('counter', 'c-7'), undefined)).toBe(UNPLACED);
    expect(placeActor(actorKey('counter', 'c-7'), viewOf())).toBe(UNPLACED);
  });

  it('agrees with every process that has the same members (a fresh view of them)', () => {
    const again = viewOf('c', 'a', 'b');
    for (let i = 0; i < 200; i++) {
      expect(placeActor(actorKey('order', `o-${i}`), again)).toBe(placeActor(actorKey('order', `o-${i}`), view));
    }
  });
});

describe('isRemote', () => {
  it('is true only for a node placement on another node', () => {
    expect(isRemote(nodePlacement('a'), 'b')).toBe(true);
    expect(isRemote(nodePlacement('a'), 'a')).toBe(false);
    expect(isRemote(ANY_NODE, 'a')).toBe(false);
    expect(isRemote(UNPLACED, 'a')).toBe(false);
  });
});

describe('nodePlacement', () => {
  it('stays correct past its interning bound', () => {
    const first = nodePlacement('n-0');
    for (let i = 0; i < 10_000; i++) expect(nodePlacement(`n-${i}`).node).toBe(`n-${i}`);
    expect(nodePlacement('n-0')).toEqual(first);
    expect(Object.isFrozen(nodePlacement('n-1'))).toBe(true);
  });
});

describe('shardKeyOf', () => {
  it('reads shard keys as strings and refuses missing, non-scalar or unkeyed ones with RoutingError', () => {
    expect(shardKeyOf(keyed, { order: { customer: 12n } })).toBe('12');
    expect(shardKeyOf(keyed, { order: { customer: 12 } })).toBe('12');
    expect(shardKeyOf(keyed, { order: { customer: true } })).toBe('true');
    expect(codeOf(() => shardKeyOf(keyed, { order: {} }))).toBe(RoutingError.code);
    expect(codeOf(() => shardKeyOf(keyed, { order: { customer: { id: 1 } } }))).toBe(RoutingError.code);
    expect(codeOf(() => shardKeyOf(unkeyed, {}))).toBe(RoutingError.code);
  });
});

describe('actor keys', () => {
  it('are type/id, split at the first slash; targets without a type or an id are refused', () => {
    expect(actorKey('order', 'o-1')).toBe('order/o-1');
    const key = actorKey('counter', 'a/b');
    expect(key).toBe('counter/a/b');
    expect(actorTargetSeparator(key)).toBe(7);
    expect(key.slice(0, actorTargetSeparator(key))).toBe('counter');
    expect(key.slice(actorTargetSeparator(key) + 1)).toBe('a/b');
    expect(actorTargetSeparator('counter')).toBe(-1);
    expect(actorTargetSeparator('/id')).toBe(-1);
    expect(actorTargetSeparator('counter/')).toBe(-1);
  });
});

describe('view sources', () => {
  it('viewSourceOf reads the holder at each decision; fixedViewSource always returns its view', () => {
    const holder = { view: viewOf('a') };
    const source = viewSourceOf(holder);
    expect(source.current()?.members.map((m) => m.id)).toEqual(['a']);
    holder.view = viewOf('b');
    expect(source.current()?.members.map((m) => m.id)).toEqual(['b']);
    expect(fixedViewSource(view).current()).toBe(view);
    expect(fixedViewSource(undefined).current()).toBeUndefined();
  });
});
