/**
 * Choosing strategies place a function only on the members that host a version of it (issue 11): roundRobin,
 * leastLoaded, pin, range and sticky pick among the hosts (what heartbeats advertise: `fn:<name>@<version>`),
 * a receiving node that does not host the function forwards a pin/range call to a host, a uniform cluster
 * places exactly as before, and the hosts' view is built once per view and function.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, createClusterView, withLoadReports } from '../src/cluster-view.js';
import { defineFunction } from '../src/definition.js';
import { NoCapacityError } from '../src/errors.js';
import { functionHostsView } from '../src/placement/function-hosts.js';
import { placeCallAt, placeFunction, RoutingStates } from '../src/placement/place.js';
import { ANY_NODE, type Placement } from '../src/placement/placement.js';
import { leastLoaded, pin, range, roundRobin, sticky } from '../src/routing/strategy.js';
import { codeOf } from './error-code.js';
import { scoredLoad } from './load-reports.js';

const loaded = scoredLoad;
const member = (id: string, modules: string[] | undefined, tags: string[] = [], score = 0): ClusterMember =>
  modules === undefined ? { id, tags, load: loaded(score) } : { id, tags, load: loaded(score), modules };
const fn = (routing: Parameters<typeof defineFunction>[0]['routing']) =>
  defineFunction({ name: 'quote', ...(routing === undefined ? {} : { routing }) }, (_ctx, x: unknown) => x);
const nodeOf = (placement: Placement): string => (placement as { node: string }).node;

/** n1 and n3 host `quote` (two versions between them); n2 hosts only another function. Listed unsorted on purpose. */
const cluster = (scores: Record<string, number> = {}) =>
  createClusterView([
    member('n3', ['fn:quote@2'], ['aave', 'small'], scores.n3),
    member('n2', ['fn:other@1'], ['aave', 'small'], scores.n2),
    member('n1', ['fn:other@1', 'fn:quote@1'], ['aave', 'large'], scores.n1),
  ]);

describe('choosing strategies pick among the function hosts', () => {
  it('roundRobin rotates over the hosts only and never reaches the other member', () => {
    const view = cluster();
    const states = new RoutingStates();
    const quote = fn(roundRobin());
    const picks = Array.from({ length: 9 }, () => nodeOf(placeFunction(quote, {}, view, states)));
    expect(picks).toEqual(['n1', 'n3', 'n1', 'n3', 'n1', 'n3', 'n1', 'n3', 'n1']);
  });

  it('leastLoaded takes the idlest host, not the idlest member', () => {
    const view = cluster({ n1: 0.5, n2: 0, n3: 0.3 });
    expect(nodeOf(placeFunction(fn(leastLoaded()), {}, view))).toBe('n3');
  });

  it('pin and range choose a tagged host; a tag only non-hosts carry is NoCapacityError', () => {
    const view = cluster();
    const byProtocol = fn(pin('protocol'));
    for (let i = 0; i < 20; i++) {
      expect(['n1', 'n3']).toContain(nodeOf(placeFunction(byProtocol, { protocol: 'aave', i }, view)));
    }
    const bySize = fn(range('size', [0, 10, 100], ['small', 'large']));
    expect(nodeOf(placeFunction(bySize, { size: 5 }, view))).toBe('n3');
    expect(nodeOf(placeFunction(bySize, { size: 50 }, view))).toBe('n1');
    const onlyN2 = createClusterView([member('n1', ['fn:quote@1']), member('n2', ['fn:other@1'], ['gpu'])]);
    expect(codeOf(() => placeFunction(fn(pin('model', 'gpu')), { model: 'm' }, onlyN2))).toBe(NoCapacityError.code);
  });

  it('overloaded hosts fall back to the least-loaded host, never to an idle non-host', () => {
    const view = cluster({ n1: 0.95, n2: 0, n3: 0.92 });
    expect(nodeOf(placeFunction(fn(roundRobin()), {}, view, new RoutingStates()))).toBe('n3');
    expect(nodeOf(placeFunction(fn(leastLoaded()), {}, view))).toBe('n3');
  });

  it('sticky assigns keys to hosts only', () => {
    const view = cluster();
    const states = new RoutingStates();
    const byKey = fn(sticky('key'));
    const owners = new Set(
      Array.from({ length: 100 }, (_, i) => nodeOf(placeFunction(byKey, { key: `k${i}` }, view, states))),
    );
    expect([...owners].sort()).toEqual(['n1', 'n3']);
  });

  it('a node that does not host the function forwards a pin call to a tagged host', () => {
    const view = cluster();
    const byProtocol = fn(pin('protocol'));
    // n2 carries the tag but does not host quote: it forwards; n1 hosts it and carries the tag: it serves.
    expect(['n1', 'n3']).toContain(nodeOf(placeCallAt(byProtocol, { protocol: 'aave' }, view, 'n2')));
    expect(placeCallAt(byProtocol, { protocol: 'aave' }, view, 'n1')).toBe(ANY_NODE);
  });
});

describe('the hosts view', () => {
  it('is the view itself when every member hosts the same or modules are unknown', () => {
    for (const view of [
      createClusterView([member('a', ['fn:quote@1']), member('b', ['fn:quote@2'])]),
      createClusterView([member('a', undefined), member('b', undefined)]),
    ]) {
      expect(functionHostsView(view, 'quote')).toBe(view);
    }
  });

  it('counts members with unknown modules as hosts, and keeps every member for a function nobody hosts', () => {
    const view = createClusterView([member('a', ['fn:quote@1']), member('b', []), member('c', undefined)]);
    expect(functionHostsView(view, 'quote').members.map((m) => m.id)).toEqual(['a', 'c']);
    expect(functionHostsView(view, 'nobody').members.map((m) => m.id)).toEqual(['c']);
    const known = createClusterView([member('a', ['fn:quote@1']), member('b', [])]);
    expect(functionHostsView(known, 'nobody')).toBe(known);
  });

  it('is built once per view and function, and follows load updates', () => {
    const view = cluster();
    const hosts = functionHostsView(view, 'quote');
    expect(functionHostsView(view, 'quote')).toBe(hosts);
    expect(hosts.members.map((m) => m.id)).toEqual(['n1', 'n3']);
    expect([...hosts.byId.keys()]).toEqual(['n1', 'n3']);
    expect(hosts.byTag.get('small')?.map((m) => m.id)).toEqual(['n3']);
    const busier = withLoadReports(view, new Map([['n1', loaded(0.7)]]));
    expect(functionHostsView(busier, 'quote').byId.get('n1')?.loadScore).toBe(0.7);
    expect(nodeOf(placeFunction(fn(leastLoaded()), {}, busier))).toBe('n3');
  });

  it('hash keys and choosing strategies agree on the hosts when members arrive unsorted', () => {
    // The host rings once indexed members in arrival order and read them after the view sorted them.
    const view = createClusterView([member('c', ['actor:cart']), member('a', []), member('b', [])]);
    expect(view.hostRings.hostsOf('actor:cart')).toEqual(['c']);
    expect(view.hostRings.actorRing('cart').owner('cart/1')).toBe('c');
    expect(view.hostRings.hosts('c', 'actor:cart')).toBe(true);
    expect(view.hostRings.hosts('a', 'actor:cart')).toBe(false);
    expect(view.hostRings.hosts('x', 'actor:cart')).toBe(false);
  });
});
