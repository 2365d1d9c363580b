/**
 * One ring per actor type and function (issue 13): a key is placed only on members that host its type or
 * function, a uniform cluster places exactly as the full ring, and a view without module information (or a
 * type nobody hosts) falls back to the full ring.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, createClusterView, withLoadReports } from '../src/cluster-view.js';
import { defineFunction } from '../src/definition.js';
import { hostGroupOf } from '../src/placement/host-rings.js';
import { placeActor, placeFunction, placeHostedKey } from '../src/placement/place.js';

const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
const member = (id: string, modules?: string[]): ClusterMember =>
  modules === undefined ? { id, tags: [], load } : { id, tags: [], load, modules };
const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
const quote = defineFunction({ name: 'quote', shardBy: 'key' }, (_ctx, input: { key: string }) => input.key);

describe('host rings', () => {
  it('places an actor type on its hosts only, and spreads it over all of them', () => {
    const view = createClusterView([
      member('a', ['actor:cart']),
      member('b', ['fn:quote@1']),
      member('c', ['actor:cart', 'fn:quote@1']),
    ]);
    expect(view.hostRings.uniform).toBe(false);
    const owners = new Set(keys.map((k) => (placeActor(`cart/${k}`, view) as { node: string }).node));
    expect([...owners].sort()).toEqual(['a', 'c']);
    // The full ring does give b a share of these keys: the per-type ring is what keeps them off it.
    expect(keys.some((k) => view.ring.owner(`cart/${k}`) === 'b')).toBe(true);
  });

  it('places a keyed function on the members that loaded a version of it', () => {
    const view = createClusterView([
      member('a', ['actor:cart']),
      member('b', ['fn:quote@2']),
      member('c', ['fn:quote@1']),
    ]);
    const owners = new Set(keys.map((key) => (placeFunction(quote, { key }, view) as { node: string }).node));
    expect([...owners].sort()).toEqual(['b', 'c']);
    expect(view.hostRings.hostsOf('fn:quote')).toEqual(['b', 'c']);
  });

  it('uses the full ring when every member hosts the same, when modules are unknown, or when nobody hosts it', () => {
    for (const view of [
      createClusterView([member('a', ['actor:cart']), member('b', ['actor:cart'])]),
      createClusterView([member('a'), member('b')]),
    ]) {
      expect(view.hostRings.uniform).toBe(true);
      for (const k of keys)
        expect(placeActor(`cart/${k}`, view)).toEqual({ type: 'node', node: view.ring.owner(`cart/${k}`) });
    }
    const mixed = createClusterView([member('a', ['actor:cart']), member('b', [])]);
    for (const k of keys) {
      expect(placeActor(`order/${k}`, mixed)).toEqual({ type: 'node', node: mixed.ring.owner(`order/${k}`) });
      expect(placeHostedKey('actor:cart', k, mixed)).toEqual({ type: 'node', node: 'a' });
    }
  });

  it('counts a member with unknown modules as hosting everything', () => {
    const view = createClusterView([member('a', ['actor:cart']), member('b', []), member('c')]);
    const owners = new Set(keys.map((k) => (placeActor(`cart/${k}`, view) as { node: string }).node));
    expect([...owners].sort()).toEqual(['a', 'c']);
  });

  it('keeps the rings across load updates and names groups by function name', () => {
    expect(hostGroupOf('fn:quote@1.2')).toBe('fn:quote');
    expect(hostGroupOf('actor:cart')).toBe('actor:cart');
    expect(placeActor('cart/x', undefined)).toEqual({ type: 'unplaced' });
    const view = createClusterView([member('a', ['actor:cart']), member('b', [])]);
    const loaded = withLoadReports(view, new Map([['a', { ...load, cpu: 0.5 }]]));
    expect(loaded.hostRings).toBe(view.hostRings);
    expect(loaded.byId.get('a')?.modules).toEqual(['actor:cart']);
  });
});
