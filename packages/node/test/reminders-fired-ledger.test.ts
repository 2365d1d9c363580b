import { describe, expect, it } from 'vitest';
import { FiredLedger } from '../src/reminders/fired-ledger.js';
import type { StoredReminder } from '../src/reminders/reminder-store.js';

const at = (revision: number, name = `r${revision}`): StoredReminder => ({
  actorType: 'order',
  actorId: 'o-1',
  name,
  dueAt: 0,
  everyMs: 0,
  event: { type: 'x' },
  key: `0.order/o-1.${name}`,
  partition: 0,
  revision,
});

/** A ledger that has seen revisions 1..`seen`, with `fired` of them fired at time 0. */
function ledgerWith(seen: number, fired: readonly number[]) {
  const ledger = new FiredLedger(0);
  for (let revision = 1; revision <= seen; revision++) ledger.seen(revision);
  for (const revision of fired) ledger.fired(at(revision), 0);
  return ledger;
}

describe('FiredLedger', () => {
  it('purges below the lowest live revision: in memory, beyond the window, or not yet seen', () => {
    const ledger = ledgerWith(10, [1, 2, 4, 5]);
    expect(ledger.purgePoint(3)).toBe(3); // 3 is live in memory
    ledger.outside(2);
    expect(ledger.purgePoint(3)).toBe(2); // 2 is live beyond the window
    ledger.scanStarted(); // a new scan learns what lies beyond the window again
    expect(ledger.purgePoint(Number.POSITIVE_INFINITY)).toBe(11); // nothing live: everything seen
  });

  it('answers no purge when no fired record lies below the point, or it is purged already', () => {
    const ledger = ledgerWith(10, [6, 7]);
    expect(ledger.purgePoint(5)).toBeUndefined();
    expect(ledger.purgePoint(8)).toBe(8);
    ledger.purged(8);
    expect(ledger.size).toBe(0);
    ledger.fired(at(9), 0);
    expect(ledger.purgePoint(8)).toBeUndefined();
  });

  it('remembers which revisions fired until they are purged or acked', () => {
    const ledger = ledgerWith(10, [3, 7]);
    expect(ledger.hasFired(at(3))).toBe(true);
    expect(ledger.hasFired(at(4))).toBe(false);
    expect(ledger.hasFired(at(11))).toBe(false);
    ledger.purged(5);
    expect(ledger.hasFired(at(3))).toBe(false);
    expect(ledger.hasFired(at(7))).toBe(true);
    ledger.settled(at(7), true);
    expect(ledger.size).toBe(0);
  });

  it('hands out for a lone ack those held too long or past the bound, oldest first, once each', () => {
    const ledger = new FiredLedger(0);
    ledger.fired(at(5), 100);
    ledger.fired(at(2), 200);
    ledger.fired(at(9), 300);
    expect(ledger.overdue(250, 1_000, 10)).toEqual([]);
    expect(ledger.overdue(1_250, 1_000, 10).map((r) => r.revision)).toEqual([5, 2]);
    expect(ledger.overdue(1_250, 1_000, 10)).toEqual([]); // in flight already
    ledger.settled(at(5), false); // failed: handed out again next time
    expect(ledger.overdue(1_250, 1_000, 10).map((r) => r.revision)).toEqual([5]);
    expect(ledger.overdue(0, 1_000, 1).map((r) => r.revision)).toEqual([]); // the excess (5, 2) is in flight; 9 is within the bound
    expect(ledger.overdue(0, 1_000, 0).map((r) => r.revision)).toEqual([9]);
  });
});
