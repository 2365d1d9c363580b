/** The placement tag: equal exactly when two views place every `hash` key alike. */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, createClusterView, withLoadReports } from '../src/cluster-view.js';
import { placementTagOf } from '../src/placement/placement-tag.js';
import { SubjectCache } from '../src/placement/subject-cache.js';
import { allPlacedNodeSubject, nodeSubjectOfPlaced, placedNodeSubject } from '../src/placement/subjects.js';

const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
const member = (id: string, modules?: string[], weight?: number): ClusterMember => ({
  id,
  tags: [],
  load,
  ...(modules === undefined ? {} : { modules }),
  ...(weight === undefined ? {} : { weight }),
});
const tagOf = (members: ClusterMember[], vnodesPerWeight?: number) =>
  createClusterView(members, vnodesPerWeight === undefined ? {} : { vnodesPerWeight }).placementTag;

describe('placement tag', () => {
  it('is one 14-character subject token, the same whatever the order of members and of their modules', () => {
    const tag = tagOf([member('a', ['fn:f@1', 'actor:cart']), member('b')]);
    expect(tag).toMatch(/^[0-9a-z]{14}$/);
    expect(tagOf([member('b'), member('a', ['actor:cart', 'fn:f@1'])])).toBe(tag);
  });

  it('changes with anything that moves a key: a member, a weight, what a member hosts, the ring vnodes', () => {
    const base = tagOf([member('a'), member('b')]);
    const others = [
      tagOf([member('a')]),
      tagOf([member('a'), member('c')]),
      tagOf([member('a'), member('b', undefined, 2)]),
      tagOf([member('a'), member('b', [])]),
      tagOf([member('a'), member('b', ['fn:f@1'])]),
      tagOf([member('a'), member('b')], 64),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('ignores loads: a view with new load reports keeps its tag (loads never move a hash key)', () => {
    const view = createClusterView([member('a'), member('b')]);
    const loaded = withLoadReports(view, new Map([['a', { ...load, cpu: 0.95 }]]));
    expect(loaded).not.toBe(view);
    expect(loaded.placementTag).toBe(view.placementTag);
  });

  it('equal tags mean equal owners (the promise a node relies on to skip re-placing)', () => {
    const one = createClusterView([member('x', ['fn:f@1']), member('y'), member('z', undefined, 3)]);
    const two = createClusterView([member('z', undefined, 3), member('y'), member('x', ['fn:f@1'])]);
    expect(two.placementTag).toBe(one.placementTag);
    for (let i = 0; i < 500; i++) expect(two.ring.owner(`k${i}`)).toBe(one.ring.owner(`k${i}`));
  });

  it('reads the same from plain members as from a view (id, weight, modules)', () => {
    const members = [{ id: 'a', weight: 1, modules: undefined }];
    expect(placementTagOf(members, 2048)).toBe(tagOf([member('a')]));
  });
});

describe('placed node subjects', () => {
  it('are the node subject followed by the tag; the node subscribes them with one wildcard', () => {
    expect(placedNodeSubject('prod', 'n-1', 'abc123')).toBe('lucent.prod.node.n-1.abc123');
    expect(allPlacedNodeSubject('prod', 'n-1')).toBe('lucent.prod.node.n-1.*');
    expect(nodeSubjectOfPlaced('prod', 'lucent.prod.node.n-1.abc123')).toBe('lucent.prod.node.n-1');
    expect(nodeSubjectOfPlaced('prod', 'lucent.prod.node.n-1')).toBeUndefined();
    expect(nodeSubjectOfPlaced('prod', 'lucent.test.node.n-1.abc123')).toBeUndefined();
    expect(() => placedNodeSubject('prod', 'n-1', 'a.b')).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });

  it('are cached per tag: a new tag starts afresh', () => {
    const subjects = new SubjectCache('prod');
    const first = subjects.placedNode('n-1', 't1');
    expect(subjects.placedNode('n-1', 't1')).toBe(first);
    expect(subjects.placedNode('n-1', 't2')).toBe('lucent.prod.node.n-1.t2');
    expect(subjects.placedNode('n-2', 't2')).toBe('lucent.prod.node.n-2.t2');
  });
});
