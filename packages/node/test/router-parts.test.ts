/** The small pure parts of the router: the subscription list and the inline runner. (Placement is core's.) */
import { createRegistry, defineFunction, SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createInlineRunner } from '../src/router/function-runner.js';
import { EVENT_QUEUE_GROUP, FUNCTION_QUEUE_GROUP, routerSubscriptions } from '../src/router/router-subscriptions.js';
import { rejection } from './error-code.js';

const keyed = defineFunction({ name: 'keyed', shardBy: 'order.customer' }, (_ctx, x: unknown) => x);
const unkeyed = defineFunction({ name: 'unkeyed', handles: ['B', 'A'] }, (_ctx, x: unknown) => x);
const alsoA = defineFunction({ name: 'alsoA', handles: 'A' }, (_ctx, x: unknown) => x);

describe('router subscriptions', () => {
  it('lists the direct and placed subjects, one queue-group subject per function name and per handled event type', () => {
    const registry = createRegistry([keyed, unkeyed, alsoA]);
    expect(routerSubscriptions({ cluster: 'c1', nodeId: 'n1', functions: registry, coreEvents: true })).toEqual([
      { subject: 'lucent.c1.node.n1', queue: undefined, placed: false },
      { subject: 'lucent.c1.node.n1.*', queue: undefined, placed: true },
      { subject: 'lucent.c1.fn.alsoA', queue: FUNCTION_QUEUE_GROUP, placed: false },
      { subject: 'lucent.c1.fn.keyed', queue: FUNCTION_QUEUE_GROUP, placed: false },
      { subject: 'lucent.c1.fn.unkeyed', queue: FUNCTION_QUEUE_GROUP, placed: false },
      { subject: 'lucent.c1.events.A', queue: EVENT_QUEUE_GROUP, placed: false },
      { subject: 'lucent.c1.events.B', queue: EVENT_QUEUE_GROUP, placed: false },
    ]);
  });

  it('leaves event types to the durable consumers by default (no core-NATS event subscriptions)', () => {
    const specs = routerSubscriptions({ cluster: 'c1', nodeId: 'n1', functions: createRegistry([unkeyed]) });
    expect(specs.map((spec) => spec.subject)).toEqual([
      'lucent.c1.node.n1',
      'lucent.c1.node.n1.*',
      'lucent.c1.fn.unkeyed',
    ]);
  });

  it('refuses a node id that is not a subject token (ConfigError)', () => {
    expect(() => routerSubscriptions({ nodeId: 'a.b', functions: createRegistry() })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG' }),
    );
  });
});

describe('inline runner', () => {
  it('runs handlers, refuses expired deadlines without running, and types failures', async () => {
    let runs = 0;
    const counted = defineFunction({ name: 'counted' }, (_ctx, x: number) => {
      runs++;
      if (x < 0) throw new Error('negative');
      return x + 1;
    });
    const registry = createRegistry([counted]);
    const runner = createInlineRunner(registry, { clock: new SimulatedClock(0, 1_000) });
    expect(await runner.call('counted', 1)).toBe(2);
    expect(await runner.call('counted', 1, { deadline: 1_001 })).toBe(2);
    expect((await rejection(runner.call('counted', 1, { deadline: 1_000 }))).code).toBe('LUCENT_TIMEOUT');
    expect((await rejection(runner.call('counted', -1))).code).toBe('LUCENT_HANDLER');
    expect((await rejection(runner.call('missing', 1))).code).toBe('LUCENT_UNKNOWN_FUNCTION');
    registry.disable('counted');
    expect((await rejection(runner.call('counted', 1))).code).toBe('LUCENT_FUNCTION_DISABLED');
    expect(runs).toBe(3);
  });
});
