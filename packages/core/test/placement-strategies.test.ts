/**
 * Declared routing through the one placement module: what a sender (`placeFunction`) and a receiving node
 * (`placeCallAt`) decide for each strategy, with loads and tags, and the definition rules around `routing`.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, createClusterView } from '../src/cluster-view.js';
import { route } from '../src/decorators.js';
import { ConfigError, NoCapacityError, RoutingError } from '../src/errors.js';
import { defineFunction, functionsOf } from '../src/index.js';
import { placeCallAt, placeFunction, RoutingStates } from '../src/placement/place.js';
import { ANY_NODE, nodePlacement, UNPLACED } from '../src/placement/placement.js';
import { hash, leastLoaded, pin, range, roundRobin, sticky } from '../src/routing/strategy.js';
import { codeOf } from './error-code.js';
import { scoredLoad } from './load-reports.js';

const loaded = scoredLoad;
const member = (id: string, tags: string[], score = 0): ClusterMember => ({ id, tags, load: loaded(score) });
const cluster = (scores: Record<string, number> = {}) =>
  createClusterView(
    [
      member('n1', ['aave', 'small'], scores.n1),
      member('n2', ['aave', 'large'], scores.n2),
      member('n3', ['uni', 'small'], scores.n3),
    ],
    { vnodesPerWeight: 64 },
  );
const fn = (routing: Parameters<typeof defineFunction>[0]['routing']) =>
  defineFunction({ name: 'f', ...(routing === undefined ? {} : { routing }) }, (_ctx, x: unknown) => x);

describe('placeFunction (the sender) by strategy', () => {
  it('hash is the ring owner, exactly as shardBy, with the interned result', () => {
    const view = cluster();
    const byRouting = fn(hash('key'));
    const byShardBy = defineFunction({ name: 'f', shardBy: 'key' }, (_ctx, x: unknown) => x);
    expect(byRouting.shardBy).toBe('key');
    for (const key of ['a', 'b', 'c', 'd']) {
      const placement = placeFunction(byRouting, { key }, view);
      expect(placement).toBe(nodePlacement(view.ring.owner(key)));
      expect(placeFunction(byShardBy, { key }, view)).toBe(placement);
    }
    expect(placeFunction(byRouting, { key: 'a' }, undefined)).toBe(UNPLACED);
  });

  it('pin maps a value to its tag (itself, a fixed tag or a table) and skips overloaded tagged shards', () => {
    const view = cluster();
    const byValue = fn(pin('protocol'));
    for (let i = 0; i < 20; i++) {
      expect(['n1', 'n2']).toContain((placeFunction(byValue, { protocol: 'aave', i }, view) as { node: string }).node);
    }
    expect(placeFunction(byValue, { protocol: 'uni' }, view)).toBe(nodePlacement('n3'));
    const table = fn(pin('venue', { binance: 'uni', dydx: 'large' }));
    expect(placeFunction(table, { venue: 'dydx' }, view)).toBe(nodePlacement('n2'));
    expect(codeOf(() => placeFunction(table, { venue: 'ftx' }, view))).toBe(RoutingError.code);
    // n1 overloaded: every aave call goes to n2.
    const busy = cluster({ n1: 0.95 });
    for (let i = 0; i < 20; i++)
      expect(placeFunction(byValue, { protocol: 'aave', i: `${i}` }, busy)).toBe(nodePlacement('n2'));
  });

  it('no tagged shard is NoCapacityError naming the strategy and the tag; a missing field is RoutingError', () => {
    const view = cluster();
    let error: unknown;
    try {
      placeFunction(fn(pin('protocol')), { protocol: 'curve' }, view);
    } catch (caught) {
      error = caught;
    }
    expect(NoCapacityError.is(error)).toBe(true);
    expect((error as NoCapacityError).details).toEqual({
      target: 'pin(protocol)',
      reason: "no shard is tagged 'curve'",
    });
    // Checked without a view too: nothing is sent for a call that cannot be routed.
    for (const routing of [pin('protocol'), range('p', [0, 1], ['small']), sticky('k')]) {
      expect(codeOf(() => placeFunction(fn(routing), {}, undefined))).toBe(RoutingError.code);
      expect(codeOf(() => placeFunction(fn(routing), {}, view))).toBe(RoutingError.code);
    }
  });

  it('range splits by bounds onto the shards tagged for each range', () => {
    const view = cluster();
    const ranged = fn(range('price', [0, 100, Number.POSITIVE_INFINITY], ['small', 'large']));
    for (const price of [0, 5, 99.9]) {
      expect(['n1', 'n3']).toContain((placeFunction(ranged, { price }, view) as { node: string }).node);
    }
    expect(placeFunction(ranged, { price: 100 }, view)).toBe(nodePlacement('n2'));
    expect(codeOf(() => placeFunction(ranged, { price: -1 }, view))).toBe(RoutingError.code);
  });

  it('roundRobin rotates per RoutingStates and skips overloaded shards; leastLoaded picks the idlest', () => {
    const rotated = fn(roundRobin());
    const states = new RoutingStates();
    const view = cluster({ n2: 0.95 });
    const picks = Array.from({ length: 6 }, () => (placeFunction(rotated, {}, view, states) as { node: string }).node);
    expect(picks).toEqual(['n1', 'n3', 'n1', 'n3', 'n1', 'n3']);
    expect(placeFunction(fn(leastLoaded()), {}, cluster({ n1: 0.5, n2: 0.2, n3: 0.4 }))).toBe(nodePlacement('n2'));
    // Without a view: the queue group (any node), as for queue-routed functions.
    expect(placeFunction(rotated, {}, undefined)).toBe(ANY_NODE);
    expect(placeFunction(fn(undefined), {}, view)).toBe(ANY_NODE);
    expect(placeFunction(fn('queue'), {}, view)).toBe(ANY_NODE);
  });

  it('falls back to the least-loaded capable shard when every capable shard is overloaded', () => {
    const allBusy = cluster({ n1: 0.97, n2: 0.92, n3: 0.99 });
    expect(placeFunction(fn(leastLoaded()), {}, allBusy)).toBe(nodePlacement('n2'));
    expect(placeFunction(fn(roundRobin()), {}, allBusy)).toBe(nodePlacement('n2'));
    expect(placeFunction(fn(pin('protocol')), { protocol: 'aave' }, allBusy)).toBe(nodePlacement('n2'));
    expect(placeFunction(fn(pin('protocol')), { protocol: 'uni' }, allBusy)).toBe(nodePlacement('n3'));
    // hash keeps the owner whatever its load.
    expect(placeFunction(fn(hash('k')), { k: 'x' }, allBusy)).toBe(nodePlacement(allBusy.ring.owner('x')));
  });

  it('sticky keeps a key on its first owner until that owner leaves', () => {
    const states = new RoutingStates();
    const stuck = fn(sticky('k'));
    const two = createClusterView([member('n1', []), member('n2', [])], { vnodesPerWeight: 64 });
    const first = placeFunction(stuck, { k: 'x' }, two, states);
    const three = cluster();
    expect(placeFunction(stuck, { k: 'x' }, three, states)).toBe(first);
    expect(placeFunction(stuck, { k: 'x' }, undefined, states)).toBe(UNPLACED);
  });
});

describe('placeCallAt (the node that received the call)', () => {
  it('serves what it may serve and forwards the rest', () => {
    const view = cluster();
    const pinned = fn(pin('protocol'));
    expect(placeCallAt(pinned, { protocol: 'aave' }, view, 'n1')).toBe(ANY_NODE);
    expect(placeCallAt(pinned, { protocol: 'uni' }, view, 'n1')).toBe(nodePlacement('n3'));
    const ranged = fn(range('price', [0, 100, Number.POSITIVE_INFINITY], ['small', 'large']));
    expect(placeCallAt(ranged, { price: 500 }, view, 'n2')).toBe(ANY_NODE);
    expect(placeCallAt(ranged, { price: 500 }, view, 'n3')).toBe(nodePlacement('n2'));
    for (const routing of [roundRobin(), leastLoaded(), sticky('k')]) {
      expect(placeCallAt(fn(routing), { k: 'x' }, view, 'n3')).toBe(ANY_NODE);
    }
    expect(placeCallAt(fn(hash('k')), { k: 'x' }, view, 'n3')).toBe(nodePlacement(view.ring.owner('x')));
    expect(codeOf(() => placeCallAt(fn(sticky('k')), {}, view, 'n3'))).toBe(RoutingError.code);
  });
});

describe('routing on definitions and decorators', () => {
  it('rejects conflicting or malformed routing with ConfigError', () => {
    const define = (options: object) => () => defineFunction({ name: 'f', ...options } as never, () => 0);
    expect(codeOf(define({ routing: 'nope' }))).toBe(ConfigError.code);
    expect(codeOf(define({ routing: 'queue', shardBy: 'k' }))).toBe(ConfigError.code);
    expect(codeOf(define({ routing: pin('p'), shardBy: 'k' }))).toBe(ConfigError.code);
    expect(codeOf(define({ routing: hash('__proto__.x') }))).toBe(ConfigError.code);
    expect(codeOf(define({ weight: -1 }))).toBe(ConfigError.code);
    expect(codeOf(define({ enabled: 'yes' }))).toBe(ConfigError.code);
    expect(codeOf(define({ affinity: [''] }))).toBe(ConfigError.code);
    expect(defineFunction({ name: 'f', routing: hash('k'), shardBy: 'k' }, () => 0).shardBy).toBe('k');
    expect(codeOf(() => pin('p', ''))).toBe(ConfigError.code);
  });

  it('@route takes any strategy, like defineFunction({ routing })', () => {
    const strategy = range('price', [0, 10], ['small']);
    class Desk {
      @route(strategy)
      quote(_ctx: unknown, input: { price: number }) {
        return input.price;
      }

      @route('queue')
      ping() {
        return 'pong';
      }
    }
    const [quote, ping] = functionsOf(Desk);
    expect(quote!.routing).toBe(strategy);
    expect(ping!.routing).toBeUndefined();
  });
});
