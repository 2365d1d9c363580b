// The routing example of the README ("Routing strategies and load"), run as written (keep the two in sync).
import { describe, expect, it } from 'vitest';
import {
  createClusterView,
  createRegistry,
  defineFunction,
  hash,
  type LoadReport,
  leastLoaded,
  NoCapacityError,
  pin,
  placeFunction,
  range,
  roundRobin,
} from '../src/index.js';

const nodeOf = (placement: unknown) => (placement as { node: string }).node;

describe('README: routing strategies and load', () => {
  it('places as documented', () => {
    // --- README start ---
    const at = (score: number): LoadReport => ({
      cpu: 0,
      memory: 0,
      activeFunctions: 0,
      maxFunctions: 1,
      queueDepth: 0,
      maxQueue: 1,
      score,
    });
    const view = createClusterView([
      { id: 'n1', tags: ['aave', 'small'], load: at(0.2) },
      { id: 'n2', tags: ['aave', 'large'], load: at(0.95) }, // overloaded
      { id: 'n3', tags: ['uni', 'small'], load: at(0.5) },
    ]);
    const quote = defineFunction({ name: 'quote', routing: pin('protocol') }, (_ctx, q: { protocol: string }) => q);
    const fill = defineFunction(
      { name: 'fill', routing: range('price', [0, 100, Number.POSITIVE_INFINITY], ['small', 'large']) },
      (_ctx, o: { price: number }) => o,
    );
    const ping = defineFunction({ name: 'ping', routing: roundRobin() }, () => 'pong');
    const job = defineFunction({ name: 'job', routing: leastLoaded() }, () => 'done');
    const owned = defineFunction({ name: 'owned', routing: hash('account') }, (_ctx, a: { account: string }) => a);
    // --- README end ---
    // The next README block ("Only on the nodes that host it") uses `at`, `ping` and `job` from this one.
    // --- README start ---
    const hosted = createClusterView([
      { id: 'n1', tags: [], load: at(0), modules: ['fn:ping@1'] },
      { id: 'n2', tags: [], load: at(0), modules: ['fn:report@1'] },
      { id: 'n3', tags: [], load: at(0), modules: ['fn:ping@2'] },
    ]);
    // --- README end ---

    expect(placeFunction(quote, { protocol: 'aave' }, view)).toEqual({ type: 'node', node: 'n1' });
    expect(nodeOf(placeFunction(quote, { protocol: 'uni' }, view))).toBe('n3');
    expect(['n1', 'n3']).toContain(nodeOf(placeFunction(fill, { price: 5 }, view)));
    expect(nodeOf(placeFunction(fill, { price: 500 }, view))).toBe('n2');
    const pings = [0, 1, 2].map(() => nodeOf(placeFunction(ping, {}, view)));
    expect(pings).toEqual(['n1', 'n3', 'n1']);
    expect(nodeOf(placeFunction(job, {}, view))).toBe('n1');
    expect(nodeOf(placeFunction(owned, { account: 'acct-1' }, view))).toBe(view.ring.owner('acct-1'));
    const hostedPings = [0, 1, 2, 3].map(() => nodeOf(placeFunction(ping, {}, hosted)));
    expect(new Set(hostedPings)).toEqual(new Set(['n1', 'n3']));
    expect(hostedPings[0]).not.toBe(hostedPings[1]);
    expect(hostedPings[2]).toBe(hostedPings[0]);
    expect(nodeOf(placeFunction(job, {}, hosted))).toBe('n1');
    expect(() => placeFunction(quote, { protocol: 'curve' }, view)).toThrow(
      expect.objectContaining({ code: NoCapacityError.code }),
    );
  });

  it('versions split by weight and a disabled one never runs', () => {
    const priceV1 = defineFunction({ name: 'price', version: '1', weight: 90 }, () => 'v1');
    const priceV2 = defineFunction({ name: 'price', version: '2', weight: 10 }, () => 'v2');
    const priceV3 = defineFunction({ name: 'price', version: '3', enabled: false }, () => 'v3');
    const registry = createRegistry([priceV1, priceV2, priceV3]);
    const picks = Array.from({ length: 100 }, (_, i) => registry.select('price', (i + 0.5) / 100));
    expect(picks.filter((id) => id === 'price@1')).toHaveLength(90);
    expect(picks).not.toContain('price@3');
  });
});
