/**
 * Where a client's retry of a pure call goes (`placeRetry`), where a call by name goes (`placeNamedCall`), and a
 * node serving a retried keyed call instead of forwarding it to its owner (`placeCallAt` with `attempt` 2).
 */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, type ClusterView, createClusterView } from '../src/cluster-view.js';
import { defineFunction } from '../src/definition.js';
import { functionNameOfRef, hostsOfRef, placeNamedCall } from '../src/placement/named-call.js';
import { placeCallAt, placeFunction } from '../src/placement/place.js';
import { ANY_NODE, nodePlacement } from '../src/placement/placement.js';
import { placeRetry } from '../src/placement/retry-placement.js';
import { pin } from '../src/routing/strategy.js';
import type { LoadReport } from '../src/scoring.js';

const idle: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 10, queueDepth: 0, maxQueue: 100 };
const member = (id: string, modules?: string[], tags: string[] = []): ClusterMember =>
  modules === undefined ? { id, tags, load: idle } : { id, tags, load: idle, modules };
const viewOf = (...members: ClusterMember[]): ClusterView => createClusterView(members, { vnodesPerWeight: 64 });

const keyed = defineFunction({ name: 'keyed', shardBy: 'k' }, (_ctx, x: { k: string }) => x);
const unkeyed = defineFunction({ name: 'unkeyed' }, (_ctx, x: unknown) => x);
const view = viewOf(member('a'), member('b'), member('c'));
const never = (): boolean => false;

describe('placeRetry', () => {
  it("sends a keyed retry to the key's next node on the ring, past every node that failed the call", () => {
    const input = { k: 'order-7' };
    const order = view.ring.owners('order-7', 3);
    const owner = placeFunction(keyed, input, view);
    expect(owner).toEqual(nodePlacement(order[0]!));
    const failed = new Set([order[0]!]);
    expect(placeRetry(keyed, 'keyed', input, view, (n) => failed.has(n), 2)).toEqual(nodePlacement(order[1]!));
    failed.add(order[1]!);
    expect(placeRetry(keyed, 'keyed', input, view, (n) => failed.has(n), 3)).toEqual(nodePlacement(order[2]!));
    failed.add(order[2]!);
    // Every node failed it: the function's queue group.
    expect(placeRetry(keyed, 'keyed', input, view, (n) => failed.has(n), 4)).toBe(ANY_NODE);
  });

  it('spreads unkeyed retries and calls by name over the hosts that did not fail, from the attempt number', () => {
    expect(placeRetry(unkeyed, 'unkeyed', null, view, (n) => n === 'a', 2)).toEqual(nodePlacement('c'));
    expect(placeRetry(unkeyed, 'unkeyed', null, view, (n) => n === 'c', 2)).toEqual(nodePlacement('a'));
    const hosting = viewOf(member('a', ['fn:quote@1']), member('b', ['actor:cart']), member('c', ['fn:quote@2']));
    // By name: only hosts of the function; a version only its own hosts.
    expect(placeRetry(undefined, 'quote', null, hosting, (n) => n === 'a', 2)).toEqual(nodePlacement('c'));
    expect(placeRetry(undefined, 'quote@1', null, hosting, (n) => n === 'a', 2)).toBe(ANY_NODE);
  });

  it('keeps a pinned retry on a capable node, and goes to the queue group without a view', () => {
    const pinned = defineFunction({ name: 'pinned', routing: pin('region') }, (_ctx, x: { region: string }) => x);
    const tagged = viewOf(member('a', undefined, ['eu']), member('b', undefined, ['eu']), member('c', ['fn:x']));
    const first = placeFunction(pinned, { region: 'eu' }, tagged);
    const failed = first.type === 'node' ? first.node : '';
    const retry = placeRetry(pinned, 'pinned', { region: 'eu' }, tagged, (n) => n === failed, 2);
    expect(retry.type).toBe('node');
    expect(['a', 'b'].filter((n) => n !== failed)).toContain(retry.type === 'node' ? retry.node : '');
    expect(placeRetry(keyed, 'keyed', { k: 'x' }, undefined, never, 2)).toBe(ANY_NODE);
  });
});

describe('placeCallAt for a retry', () => {
  it('serves a retried keyed call where it arrives; a first attempt is forwarded to the owner', () => {
    const input = { k: 'order-7' };
    const [owner, next] = view.ring.owners('order-7', 2);
    expect(placeCallAt(keyed, input, view, next!)).toEqual(nodePlacement(owner!));
    expect(placeCallAt(keyed, input, view, next!, undefined, 2)).toBe(ANY_NODE);
    // The key is still checked on a retry.
    expect(() => placeCallAt(keyed, {}, view, next!, undefined, 2)).toThrow();
  });
});

describe('placeNamedCall', () => {
  it("takes the function's hosts in turn, and the queue group without a view or a known host", () => {
    const hosting = viewOf(member('a', ['fn:quote@1']), member('b', ['actor:cart']), member('c', ['fn:quote@2']));
    expect([0, 1, 2].map((turn) => placeNamedCall('quote', hosting, turn))).toEqual([
      nodePlacement('a'),
      nodePlacement('c'),
      nodePlacement('a'),
    ]);
    expect(placeNamedCall('quote@2', hosting, 0)).toEqual(nodePlacement('c'));
    expect(placeNamedCall('other', hosting, 0)).toBe(ANY_NODE);
    expect(placeNamedCall('quote', undefined, 0)).toBe(ANY_NODE);
    // Members whose modules are unknown host everything; the list is cached per view.
    expect(hostsOfRef('anything', view)).toEqual(['a', 'b', 'c']);
    expect(hostsOfRef('anything', view)).toBe(hostsOfRef('anything', view));
    expect(functionNameOfRef('quote@2')).toBe('quote');
  });
});
