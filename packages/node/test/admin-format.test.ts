import { actorKey, createClusterView, PlacementType, placeActor, UnknownFunctionError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import {
  deadLetterRows,
  deadLettersTable,
  errorLine,
  formatDuration,
  nodeRows,
  nodesTable,
  ringAnswer,
  ringLine,
} from '../src/admin/admin-format.js';
import { runAdmin } from '../src/admin/admin-program.js';
import type { DeadLetter } from '../src/events/dead-letter.js';
import type { MemberRecord } from '../src/membership/membership-table.js';

const LOAD = { cpu: 0.5, memory: 0.25, activeFunctions: 1, maxFunctions: 4, queueDepth: 2, maxQueue: 100 };
const NOW = 1_800_000_000_000;

function record(id: string, incarnation: number, tags: string[] = []): MemberRecord {
  return { id, incarnation, tags, weight: 1, load: LOAD, modules: ['fns'], local: false };
}

describe('lucent nodes rows', () => {
  it('keeps the members of the view, sorted by id, with uptime from an epoch incarnation only', () => {
    const records = [record('b', NOW - 65_000, ['gpu']), record('a', 7), record('gone', NOW)];
    const view = createClusterView([
      { id: 'a', tags: [], load: LOAD },
      { id: 'b', tags: ['gpu'], load: LOAD },
    ]);
    const rows = nodeRows(records, view, NOW);
    expect(rows.map((row) => [row.id, row.uptimeMs])).toEqual([
      ['a', undefined],
      ['b', 65_000],
    ]);
    expect(rows[1]).toMatchObject({ tags: ['gpu'], activeFunctions: 1, maxFunctions: 4, queueDepth: 2 });
    const table = nodesTable(rows);
    expect(table).toMatch(/b .*gpu.*1m 05s.*50 %.*25 %.*1\/4.*2\/100/);
    expect(nodesTable([])).toBe('no live nodes');
  });

  it('formats durations', () => {
    expect([formatDuration(undefined), formatDuration(12_999), formatDuration(3_723_000)]).toEqual([
      '-',
      '12s',
      '1h 02m',
    ]);
  });
});

describe('lucent ring', () => {
  it('answers what core placement answers, and no owner without members', () => {
    const view = createClusterView(['n1', 'n2', 'n3'].map((id) => ({ id, tags: [], load: LOAD })));
    const key = actorKey('counter', 'c7');
    const placed = placeActor(key, view);
    const answer = ringAnswer(key, view);
    expect(answer).toEqual({ key, owner: placed.type === PlacementType.Node ? placed.node : 'x', members: 3 });
    expect(ringLine(answer)).toBe(`${key} -> ${answer.owner} (of 3 nodes)`);
    const empty = ringAnswer(key, createClusterView([]));
    expect(empty.owner).toBeUndefined();
    expect(ringLine(empty)).toBe(`${key}: no live nodes`);
  });

  it("places an actor key on the ring of its type's hosts (issue 13)", () => {
    const modules = (id: string) => (id === 'n2' ? [] : ['actor:counter']);
    const view = createClusterView(
      ['n1', 'n2', 'n3'].map((id) => ({ id, tags: [], load: LOAD, modules: modules(id) })),
    );
    const keys = Array.from({ length: 40 }, (_, i) => actorKey('counter', `c${i}`));
    expect(keys.some((key) => view.ring.owner(key) === 'n2')).toBe(true);
    for (const key of keys) expect(ringAnswer(key, view).owner).not.toBe('n2');
  });
});

describe('lucent errors and dead letters', () => {
  it('prints a Lucent error with its code', () => {
    expect(errorLine(new UnknownFunctionError({ name: 'nope' }))).toMatch(/^lucent: LUCENT_UNKNOWN_FUNCTION: /);
    expect(errorLine(new Error('plain'))).toBe('lucent: plain');
  });

  it('lists dead letters without the raw bytes', () => {
    const letter: DeadLetter = {
      id: 4,
      consumer: 'flaky--Boom',
      functionName: 'flaky',
      eventType: 'Boom',
      eventId: 'e1',
      attempts: 3,
      error: { code: 'LUCENT_HANDLER', message: 'boom' },
      failedAt: NOW,
      node: 'a',
      streamSequence: 9,
      original: new Uint8Array([1, 2]),
      event: undefined,
    };
    const rows = deadLetterRows([letter]);
    expect(rows).toEqual([
      {
        id: 4,
        consumer: 'flaky--Boom',
        functionName: 'flaky',
        eventType: 'Boom',
        eventId: 'e1',
        attempts: 3,
        error: { code: 'LUCENT_HANDLER', message: 'boom' },
        failedAt: new Date(NOW).toISOString(),
        node: 'a',
        payload: undefined,
      },
    ]);
    expect(deadLettersTable(rows)).toContain('LUCENT_HANDLER: boom');
    expect(deadLettersTable([])).toBe('no dead letters');
  });
});

describe('lucent command line', () => {
  const collect = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { writeOut: (t: string) => out.push(t), writeErr: (t: string) => err.push(t) } };
  };

  it('exits 2 on bad JSON or an unknown option, before connecting', async () => {
    const bad = collect();
    expect(await runAdmin(['call', 'add', '{x'], bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('not valid JSON');
    const unknown = collect();
    expect(await runAdmin(['nodes', '--bogus'], unknown.io)).toBe(2);
    const id = collect();
    expect(await runAdmin(['events', 'dlq', 'replay', 'abc'], id.io)).toBe(2);
  });

  it('prints its version with exit 0', async () => {
    const version = collect();
    expect(await runAdmin(['--version'], version.io)).toBe(0);
    expect(version.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
