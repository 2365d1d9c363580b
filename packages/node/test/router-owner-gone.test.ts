/**
 * A node whose view still lists a key's owner that is gone (nobody on its subject) runs the pure call itself
 * instead of failing it, and reports the re-run to its observer as a retry.
 */
import { createRegistry, defineFunction, fixedViewSource } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/client/lucent-client.js';
import { createInlineRunner } from '../src/router/function-runner.js';
import { RoutingRequestHandler } from '../src/router/request-handler.js';
import { subscribeRequestHandler } from '../src/router/router-subscriptions.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import { viewOf } from './fixed-view.js';

const balance = defineFunction(
  { name: 'balance', shardBy: 'account' },
  (ctx, input: { account: string }) => `${input.account} on ${ctx.shard.id || 'a'}`,
);
const transports: InMemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

describe('request handler: owner gone', () => {
  it('runs a keyed call here when the owner it forwards to has no subscriber, counted as a retry', async () => {
    const bus = new InMemoryBus();
    const registry = createRegistry([balance]);
    const retried: [string, string][] = [];
    const transport = new InMemoryTransport(bus);
    transports.push(transport);
    // Node a's view still has b, which is gone: nothing subscribes b's subject.
    const view = viewOf('a', 'b');
    const handler = new RoutingRequestHandler({
      nodeId: 'a',
      transport,
      functions: registry,
      runner: createInlineRunner(registry),
      view: fixedViewSource(view),
      observer: { retried: (target, reason) => retried.push([target, reason]) },
    });
    subscribeRequestHandler(transport, handler, { nodeId: 'a', functions: registry });
    let account = '';
    for (let i = 0; account === ''; i++) if (view.ring.owner(`acct-${i}`) === 'b') account = `acct-${i}`;
    const clientTransport = new InMemoryTransport(bus);
    transports.push(clientTransport);
    // The client routes with a view of a alone, so the call reaches a, which forwards it towards b.
    const client = createClient({ transport: clientTransport, viewSource: fixedViewSource(viewOf('a')) });
    await expect(client.call(balance, { account })).resolves.toBe(`${account} on a`);
    expect(retried).toEqual([['balance', 'node_unavailable']]);
    expect(handler.stats.forwarded).toBe(1);
  });
});
