/** What `lucent drain` reports: the actors handed off and their new owners in the view without the drained node. */
import { actorKey, type ClusterView, createClusterView, type LoadReport } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { drainText } from '../src/admin/drain-command.js';
import { DRAIN_REPORT_LIMIT, drainReport } from '../src/shard/drain-report.js';

const IDLE: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 8, queueDepth: 0, maxQueue: 100 };
const view = (...ids: string[]): ClusterView => createClusterView(ids.map((id) => ({ id, tags: [], load: IDLE })));
const counts = { actorsSaved: 0, callsDrained: 0, callsLeft: 0 };

describe('drainReport', () => {
  it('names, for each actor, its owner once the drained node is out of the ring', () => {
    const before = view('a', 'b', 'c');
    const after = view('a', 'c');
    const actors = Array.from({ length: 40 }, (_, i) => ({ type: 'counter', id: `k${i}` })).filter(
      ({ type, id }) => before.ring.owner(actorKey(type, id)) === 'b',
    );
    expect(actors.length).toBeGreaterThan(0);
    const report = drainReport('b', actors, before, { ...counts, actorsSaved: actors.length });
    expect(report.total).toBe(actors.length);
    for (const actor of report.actors) {
      expect(actor.to).toBe(after.ring.owner(actorKey(actor.type, actor.id)));
      expect(actor.to).not.toBe('b');
    }
  });

  it('lists at most DRAIN_REPORT_LIMIT actors but counts them all; no view or no other host is `to: null`', () => {
    const many = Array.from({ length: DRAIN_REPORT_LIMIT + 5 }, (_, i) => ({ type: 't', id: String(i) }));
    const report = drainReport('a', many, view('a'), counts);
    expect(report.total).toBe(DRAIN_REPORT_LIMIT + 5);
    expect(report.actors).toHaveLength(DRAIN_REPORT_LIMIT);
    expect(report.actors.every((actor) => actor.to === null)).toBe(true);
    expect(drainReport('a', many.slice(0, 1), undefined, counts).actors).toEqual([{ type: 't', id: '0', to: null }]);
  });

  it('prints as the README shows', () => {
    const text = drainText({
      node: 'n2',
      total: 3,
      actors: [
        { type: 'counter', id: 'c1', to: 'n1' },
        { type: 'counter', id: 'c4', to: 'n3' },
        { type: 'counter', id: 'c7', to: null },
      ],
      actorsSaved: 3,
      callsDrained: 1,
      callsLeft: 0,
    });
    expect(text).toBe(
      'n2 drained: 3 actors handed off (3 saved), 1 calls finished, 0 cut off\n' +
        '  counter/c1 -> n1\n  counter/c4 -> n3\n  counter/c7 -> (no host left)',
    );
  });
});
