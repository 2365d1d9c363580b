/** The benches' view-gap rule: a send refused by an empty client view goes again once the members are back. */
import { RoutingError, TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { isViewGap, ViewGaps } from '../src/view-gaps.js';

const noMembers = () =>
  new RoutingError({ target: 'counter/1', field: 'view', reason: 'the cluster has no live members' });

/** A cluster client whose members come back after `waits` calls, or never. */
function fakeCluster(backAfter = 0) {
  const state = { waits: 0 };
  return {
    state,
    waitForMembers: async (count: number, timeoutMs = 0): Promise<unknown> => {
      state.waits++;
      if (state.waits > backAfter) return undefined;
      throw new TimeoutError({ target: `${count} cluster members`, timeoutMs });
    },
  };
}

describe('ViewGaps', () => {
  it('recognises only the empty-view RoutingError', () => {
    expect(isViewGap(noMembers())).toBe(true);
    expect(isViewGap(new RoutingError({ target: 'f', field: 'account', reason: 'missing' }))).toBe(false);
    expect(isViewGap(new TimeoutError({ target: 'f', timeoutMs: 1 }))).toBe(false);
    expect(isViewGap(undefined)).toBe(false);
  });

  it('sends again once the members are back, counting each held send', async () => {
    const cluster = fakeCluster();
    const gaps = new ViewGaps(cluster, 1);
    let attempts = 0;
    const call = gaps.wrap(async () => {
      attempts++;
      if (attempts < 3) throw noMembers();
      return 'ok';
    });
    expect(await call()).toBe('ok');
    expect(attempts).toBe(3);
    expect(gaps.held).toBe(2);
    expect(cluster.state.waits).toBe(2);
    expect(gaps.note()).toContain('2 sends');
  });

  it('does not hide real failures: other errors, and members that do not come back, fail the send', async () => {
    const gaps = new ViewGaps(fakeCluster(Number.POSITIVE_INFINITY), 1, 50);
    await expect(gaps.resend(noMembers(), () => 'never')).rejects.toMatchObject({ code: 'LUCENT_TIMEOUT' });
    const other = new TimeoutError({ target: 'counter/1', timeoutMs: 10 });
    await expect(new ViewGaps(fakeCluster(), 1).resend(other, () => 'never')).rejects.toBe(other);
    expect(new ViewGaps(fakeCluster(), 1).note()).toContain('never lost');
  });
});
