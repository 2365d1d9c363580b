import { describe, expect, it } from 'vitest';
import type { Lease } from '../src/state/activation-lease.js';
import { mayTakeOver } from '../src/state/lease-policy.js';

const holder: Lease = { key: 'Counter/o-1', owner: 'node-a', acquiredAtMs: 1_000, renewedAtMs: 2_000, revision: 7 };
const alive =
  (...nodes: string[]) =>
  (owner: string) =>
    nodes.includes(owner);

describe('mayTakeOver', () => {
  it('allows a takeover when the owner is dead in the membership view', () => {
    expect(mayTakeOver(holder, { nowMs: 2_001, isOwnerAlive: alive('node-b') })).toBe(true);
  });

  it('refuses while the owner is alive and no staleness bound is set, however old the lease', () => {
    expect(mayTakeOver(holder, { nowMs: 10 ** 12, isOwnerAlive: alive('node-a') })).toBe(false);
  });

  it('with staleAfterMs, allows it only once the lease has gone unrenewed for longer than that', () => {
    const view = (nowMs: number) => ({ nowMs, isOwnerAlive: alive('node-a'), staleAfterMs: 500 });
    expect(mayTakeOver(holder, view(2_500))).toBe(false);
    expect(mayTakeOver(holder, view(2_501))).toBe(true);
  });

  it('with staleAfterMs, refuses a freshly renewed lease even when its owner looks dead (a view after a pause)', () => {
    const view = (nowMs: number) => ({ nowMs, isOwnerAlive: alive('node-b'), staleAfterMs: 500 });
    expect(mayTakeOver(holder, view(2_400))).toBe(false);
    expect(mayTakeOver(holder, view(2_501))).toBe(true);
  });
});
