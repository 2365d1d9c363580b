// The core example of the README, run as written (keep the two in sync).
import { describe, expect, it } from 'vitest';
import {
  createClusterView,
  createRegistry,
  defineFunction,
  type FunctionContext,
  functionsOf,
  handles,
  type LoadReport,
  placeActor,
  placeFunction,
  resources,
} from '../src/index.js';

describe('README: functions and placement', () => {
  it('runs as documented', () => {
    // --- README start ---
    // A pure function: same input, same output, no I/O. Input and output types flow to clients.
    const priceOrder = defineFunction(
      {
        name: 'priceOrder',
        shardBy: 'symbol',
        resources: { cpu: 'high', memory: '256MB', priority: 'high', timeoutMs: 200 },
      },
      (_ctx, order: { symbol: string; qty: number; price: number }) => order.qty * order.price,
    );

    // The same metadata with TC39 decorators on class methods.
    class Risk {
      @handles('OrderPlaced')
      @resources({ cpu: 'medium' })
      exposure(_ctx: FunctionContext, order: { qty: number; price: number }) {
        return order.qty * order.price;
      }
    }

    const registry = createRegistry([priceOrder, ...functionsOf(Risk)]); // or registry.addModule(await import('./fns.js'))
    const active = registry.get('priceOrder'); // the active (highest enabled) version; 'priceOrder@1' is exact
    const handlers = registry.handlersOf('OrderPlaced'); // [exposure]

    const load: LoadReport = {
      cpu: 0.2,
      memory: 0.3,
      activeFunctions: 1,
      maxFunctions: 8,
      queueDepth: 0,
      maxQueue: 100,
    };
    const view = createClusterView([
      { id: 'shard-a', tags: ['eu'], load },
      { id: 'shard-b', tags: ['us'], load },
    ]);
    const placement = placeFunction(priceOrder, { symbol: 'AAPL', qty: 1, price: 2 }, view); // { type: 'node', node }
    const actorPlacement = placeActor('order/ord-1', view); // actors are placed by 'type/id'
    // --- README end ---
    const owner = placement.type === 'node' ? placement.node : undefined;

    expect(active.id).toBe('priceOrder@1');
    expect(active.resources.memoryBytes).toBe(256 * 2 ** 20);
    expect(handlers.map((h) => h.name)).toEqual(['exposure']);
    expect(['shard-a', 'shard-b']).toContain(owner);
    expect(view.ring.owner('AAPL')).toBe(owner);
    expect(actorPlacement).toEqual({ type: 'node', node: view.ring.owner('order/ord-1') });
    expect(placeFunction(registry.get('exposure'), { qty: 1, price: 2 }, view)).toEqual({ type: 'any' });
  });
});
