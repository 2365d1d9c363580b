/** The unhandled-event-type check shared by a node's publisher and a client's `emit`, on a simulated clock. */
import { SimulatedClock } from '@lucent/core/internal';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { EventLog } from '../src/events/event-log.js';
import {
  HANDLED_TYPES_REFRESH_MS,
  UNHANDLED_WARN_WINDOW_MS,
  UnhandledEventTypes,
} from '../src/events/unhandled-event-types.js';

/** The check over a log whose durable consumers are `names` (only `consumerNames` is read), or an unreachable one. */
function setup(names: string[] | 'unreachable') {
  const clock = new SimulatedClock();
  const warnings: string[] = [];
  const registry = new Registry();
  let listings = 0;
  const log = {
    consumerNames: () => {
      listings++;
      return names === 'unreachable' ? Promise.reject(new Error('no log')) : Promise.resolve([...names]);
    },
  } as unknown as EventLog;
  const check = new UnhandledEventTypes({
    clock,
    eventLog: () => Promise.resolve(log),
    logger: { warn: ({ type }) => warnings.push(type) },
    help: 'test',
    registry,
  });
  return { clock, warnings, registry, check, listings: () => listings };
}

describe('UnhandledEventTypes', () => {
  it('counts every unhandled check, warns once per type per window and leaves handled types alone', async () => {
    const { clock, warnings, registry, check, listings } = setup(['onPing--Ping', 'onPong--Pong']);
    await check.check('Nobody'); // the first check lists the consumers
    expect(check.check('Nobody')).toBeUndefined(); // a fresh list answers at once
    expect(check.check('Ping')).toBeUndefined();
    expect(check.count('Nobody')).toBe(2);
    expect(check.count('Ping')).toBe(0);
    expect(warnings).toEqual(['Nobody']);
    expect(await registry.metrics()).toMatch(/lucent_events_unhandled_total\{type="Nobody"\} 2/);
    expect(listings()).toBe(1);
    // Stale after the refresh period: listed again (once for the checks waiting together).
    clock.advance(HANDLED_TYPES_REFRESH_MS);
    await Promise.all([check.check('Nobody'), check.check('Nobody')]);
    expect(listings()).toBe(2);
    expect(check.count('Nobody')).toBe(4);
    expect(warnings).toEqual(['Nobody']);
    clock.advance(UNHANDLED_WARN_WINDOW_MS);
    await check.check('Nobody');
    expect(warnings).toEqual(['Nobody', 'Nobody']);
  });

  it('counts nothing while the log cannot list its consumers', async () => {
    const { warnings, check } = setup('unreachable');
    await check.check('Nobody');
    expect(check.count('Nobody')).toBe(0);
    expect(warnings).toEqual([]);
  });
});
