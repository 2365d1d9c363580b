import { ConfigError, type LoadReport } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HeartbeatMessage, MembershipMessageType } from '../src/membership/heartbeat.js';
import { IDLE_LOAD } from '../src/membership/membership-options.js';
import { changesMembership, MemberChangeType, MembershipTable } from '../src/membership/membership-table.js';

const DEAD = 300;

function hb(
  node: string,
  fields: { incarnation?: number; tags?: string[]; weight?: number; load?: Partial<LoadReport> } = {},
): HeartbeatMessage {
  return {
    type: MembershipMessageType.Heartbeat,
    node,
    incarnation: fields.incarnation ?? 1,
    tags: fields.tags ?? [],
    weight: fields.weight ?? 1,
    load: { ...IDLE_LOAD, ...fields.load },
  };
}

const ids = (table: MembershipTable) => table.members().map((m) => m.id);

describe('MembershipTable', () => {
  it('rejects a dead-after window that is not positive and finite', () => {
    for (const deadAfterMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MembershipTable({ deadAfterMs })).toThrow(expect.objectContaining({ code: ConfigError.code }));
    }
  });

  it('a first heartbeat joins; members are sorted by id and keep their tags', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    const c = table.applyHeartbeat(hb('n-c', { tags: ['gpu', 'eu'] }), 0);
    expect(c?.type).toBe(MemberChangeType.Joined);
    expect(c?.previous).toBeUndefined();
    expect(table.applyHeartbeat(hb('n-a'), 5)?.type).toBe(MemberChangeType.Joined);
    expect(ids(table)).toEqual(['n-a', 'n-c']);
    expect(table.get('n-c')).toMatchObject({ id: 'n-c', incarnation: 1, tags: ['gpu', 'eu'], weight: 1, local: false });
    expect(table.size).toBe(2);
  });

  it('a repeated heartbeat only refreshes: no change, a later death deadline', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1'), 0);
    const before = table.members();
    expect(table.applyHeartbeat(hb('n1'), 100)).toBeUndefined();
    expect(table.lastSeenMs('n1')).toBe(100);
    expect(table.nextDeadlineMs()).toBe(100 + DEAD);
    expect(table.members()).toBe(before);
  });

  it('a member dies exactly deadAfterMs after its last heartbeat, not a millisecond earlier', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1'), 0);
    table.applyHeartbeat(hb('n2'), 0);
    table.applyHeartbeat(hb('n1'), 200);
    expect(table.nextDeadlineMs()).toBe(DEAD);
    expect(table.tick(DEAD - 1)).toEqual([]);
    const died = table.tick(DEAD);
    expect(died.map((c) => [c.type, c.member.id])).toEqual([[MemberChangeType.Died, 'n2']]);
    expect(ids(table)).toEqual(['n1']);
    expect(table.tick(200 + DEAD - 1)).toEqual([]);
    expect(table.tick(200 + DEAD).map((c) => c.member.id)).toEqual(['n1']);
    expect(table.size).toBe(0);
    expect(table.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('a tick at nextDeadlineMs always finds the death, also with fractional times (property)', () => {
    const time = fc.double({ min: 0, max: 1e7, noNaN: true });
    fc.assert(
      fc.property(time, fc.double({ min: 0.001, max: 1e5, noNaN: true }), (seenMs, deadAfterMs) => {
        const table = new MembershipTable({ deadAfterMs });
        table.applyHeartbeat(hb('n1'), seenMs);
        const deadline = table.nextDeadlineMs();
        expect(deadline).toBe(seenMs + deadAfterMs);
        expect(table.tick(deadline).map((c) => c.type)).toEqual([MemberChangeType.Died]);
      }),
    );
  });

  it('several members dying in one tick are reported in id order', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    for (const id of ['n3', 'n1', 'n2']) table.applyHeartbeat(hb(id), 0);
    expect(table.tick(1_000).map((c) => c.member.id)).toEqual(['n1', 'n2', 'n3']);
  });

  it('a dead member rejoins with its next heartbeat, even of the same incarnation', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1', { incarnation: 7 }), 0);
    table.tick(DEAD);
    const again = table.applyHeartbeat(hb('n1', { incarnation: 7 }), 400);
    expect(again?.type).toBe(MemberChangeType.Joined);
    expect(table.lastSeenMs('n1')).toBe(400);
    expect(table.tick(400 + DEAD - 1)).toEqual([]);
  });

  it('a leave removes the member at once and keeps that run from coming back', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1', { incarnation: 5 }), 0);
    const left = table.applyLeave('n1', 5, 10);
    expect(left?.type).toBe(MemberChangeType.Left);
    expect(left?.member.id).toBe('n1');
    expect(table.size).toBe(0);
    // A delayed heartbeat of the run that left is stale.
    expect(table.applyHeartbeat(hb('n1', { incarnation: 5 }), 20)).toBeUndefined();
    expect(table.size).toBe(0);
    // A new run joins at once.
    expect(table.applyHeartbeat(hb('n1', { incarnation: 6 }), 30)?.type).toBe(MemberChangeType.Joined);
  });

  it('a tombstone is forgotten deadAfterMs after the leave', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyLeave('n1', 5, 10);
    expect(table.nextDeadlineMs()).toBe(10 + DEAD);
    table.tick(10 + DEAD - 1);
    expect(table.applyHeartbeat(hb('n1', { incarnation: 5 }), 10 + DEAD - 1)).toBeUndefined();
    table.tick(10 + DEAD);
    expect(table.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    expect(table.applyHeartbeat(hb('n1', { incarnation: 5 }), 10 + DEAD)?.type).toBe(MemberChangeType.Joined);
  });

  it("a leave from an earlier run does not remove the current one; an unknown member's leave changes nothing", () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1', { incarnation: 9 }), 0);
    expect(table.applyLeave('n1', 8, 5)).toBeUndefined();
    expect(ids(table)).toEqual(['n1']);
    expect(table.applyLeave('ghost', 1, 5)).toBeUndefined();
    expect(ids(table)).toEqual(['n1']);
  });

  it('a newer incarnation replaces a live member (restarted); an older one is ignored', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1', { incarnation: 2 }), 0);
    const restarted = table.applyHeartbeat(hb('n1', { incarnation: 3 }), 50);
    expect(restarted?.type).toBe(MemberChangeType.Restarted);
    expect(restarted?.previous?.incarnation).toBe(2);
    expect(restarted?.member.incarnation).toBe(3);
    expect(table.applyHeartbeat(hb('n1', { incarnation: 2 }), 60)).toBeUndefined();
    expect(table.lastSeenMs('n1')).toBe(50);
    expect(table.get('n1')?.incarnation).toBe(3);
  });

  it('a load change is a load update that does not change membership', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1'), 0);
    const change = table.applyHeartbeat(hb('n1', { load: { cpu: 0.5, queueDepth: 3 } }), 100);
    expect(change?.type).toBe(MemberChangeType.LoadUpdated);
    expect(change && changesMembership(change)).toBe(false);
    expect(change?.previous?.load.cpu).toBe(0);
    expect(table.get('n1')?.load).toMatchObject({ cpu: 0.5, queueDepth: 3 });
    expect(table.lastSeenMs('n1')).toBe(100);
  });

  it('a tags or weight change is an update that changes membership', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    table.applyHeartbeat(hb('n1', { tags: ['a'] }), 0);
    const tags = table.applyHeartbeat(hb('n1', { tags: ['a', 'b'] }), 10);
    expect(tags?.type).toBe(MemberChangeType.Updated);
    expect(tags && changesMembership(tags)).toBe(true);
    expect(table.get('n1')?.tags).toEqual(['a', 'b']);
    const weight = table.applyHeartbeat(hb('n1', { tags: ['a', 'b'], weight: 2 }), 20);
    expect(weight?.type).toBe(MemberChangeType.Updated);
    expect(table.get('n1')?.weight).toBe(2);
  });

  it('the local member never dies and ignores heartbeats for its id from the wire', () => {
    const table = new MembershipTable({ deadAfterMs: DEAD });
    expect(table.setLocal(hb('me', { incarnation: 4 }), 0)?.type).toBe(MemberChangeType.Joined);
    expect(table.get('me')?.local).toBe(true);
    expect(table.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    expect(table.tick(10 * DEAD)).toEqual([]);
    expect(table.applyHeartbeat(hb('me', { incarnation: 99 }), 1)).toBeUndefined();
    expect(table.applyLeave('me', 99, 1)).toBeUndefined();
    expect(table.get('me')?.incarnation).toBe(4);
    expect(table.setLocal(hb('me', { incarnation: 4, load: { cpu: 0.2 } }), 2)?.type).toBe(
      MemberChangeType.LoadUpdated,
    );
  });
});
