import { describe, expect, it } from 'vitest';
import { type ClusterMember, createClusterView, withLoadReports } from '../src/cluster-view.js';
import { ConfigError, NoCapacityError, RoutingError } from '../src/errors.js';
import { hash, leastLoaded, pin, range, roundRobin, sticky } from '../src/routing/strategy.js';
import type { LoadReport } from '../src/scoring.js';

const idle: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 10, queueDepth: 0, maxQueue: 100 };
const full: LoadReport = { cpu: 1, memory: 1, activeFunctions: 10, maxFunctions: 10, queueDepth: 100, maxQueue: 100 };
const withCpu = (cpu: number): LoadReport => ({ ...idle, cpu });
const member = (id: string, tags: string[] = [], load: LoadReport = idle): ClusterMember => ({ id, tags, load });
const code = (c: string) => expect.objectContaining({ code: c });
const view3 = () => createClusterView([member('s1'), member('s2'), member('s3')], { vnodesPerWeight: 64 });
const order = (symbol: unknown) => ({ order: { symbol, qty: 1 } });

describe('cluster view', () => {
  it('sorts members by id, indexes them by id and tag, and scores their load once', () => {
    const view = createClusterView([member('b', ['gpu']), member('a', ['gpu', 'eu'], withCpu(0.5))]);
    expect(view.members.map((m) => m.id)).toEqual(['a', 'b']);
    expect(view.byTag.get('gpu')!.map((m) => m.id)).toEqual(['a', 'b']);
    expect(view.byTag.get('eu')!.map((m) => m.id)).toEqual(['a']);
    expect(view.byId.get('a')!.loadScore).toBeCloseTo(0.15, 12);
    expect(view.ring.nodes).toEqual(['a', 'b']);
  });

  it('rejects duplicate ids, and withLoadReports updates loads while sharing the ring', () => {
    expect(() => createClusterView([member('a'), member('a')])).toThrowError(code(ConfigError.code));
    const view = view3();
    const next = withLoadReports(
      view,
      new Map([
        ['s2', full],
        ['gone', full],
      ]),
    );
    expect(next.ring).toBe(view.ring);
    expect(next.byId.get('s2')!.loadScore).toBeCloseTo(1, 12);
    expect(next.byId.get('s1')!.loadScore).toBe(0);
    expect(view.byId.get('s2')!.loadScore).toBe(0);
  });
});

describe('hash(field)', () => {
  it('routes to the ring owner of the (nested) field value, numbers and strings alike', () => {
    const view = view3();
    const strategy = hash('order.symbol');
    for (const symbol of ['AAPL', 'MSFT', 'GOOG', 'X']) {
      expect(strategy.route(order(symbol), view, undefined)).toBe(view.ring.owner(symbol));
    }
    expect(strategy.route(order(42), view, undefined)).toBe(strategy.route(order('42'), view, undefined));
    expect(hash('id').route({ id: 7n }, view, undefined)).toBe(view.ring.owner('7'));
  });

  it('does not skip an overloaded owner (the owner holds the key state)', () => {
    const view = view3();
    const owner = view.ring.owner('AAPL');
    const loaded = withLoadReports(view, new Map([[owner, full]]));
    expect(hash('order.symbol').route(order('AAPL'), loaded, undefined)).toBe(owner);
  });

  it('throws RoutingError naming the field when it is missing or not a scalar', () => {
    const strategy = hash('order.symbol');
    const view = view3();
    for (const message of [{}, { order: {} }, order(null), order(undefined), null, 'text', order({ nested: 1 })]) {
      expect(() => strategy.route(message, view, undefined)).toThrowError(
        expect.objectContaining({
          code: RoutingError.code,
          details: expect.objectContaining({ field: 'order.symbol' }),
        }),
      );
    }
  });

  it('throws NoCapacityError on an empty cluster and ConfigError on a bad path', () => {
    expect(() => hash('id').route({ id: 'k' }, createClusterView([]), undefined)).toThrowError(
      code(NoCapacityError.code),
    );
    for (const bad of ['', 'a..b', '.a', 'a.']) expect(() => hash(bad)).toThrowError(code(ConfigError.code));
  });
});

describe('sticky(field)', () => {
  it('keeps an assignment across a join, and moves it only when its node leaves', () => {
    const strategy = sticky('user');
    const state = strategy.initialState();
    const before = createClusterView([member('s1'), member('s2')], { vnodesPerWeight: 64 });
    const first = new Map<string, string>();
    for (let i = 0; i < 200; i++) first.set(`u${i}`, strategy.route({ user: `u${i}` }, before, state));
    const joined = createClusterView([member('s1'), member('s2'), member('s3')], { vnodesPerWeight: 64 });
    // Some keys would move to s3 on the ring; sticky keeps them.
    expect([...first.keys()].some((k) => joined.ring.owner(k) === 's3')).toBe(true);
    for (const [key, node] of first) expect(strategy.route({ user: key }, joined, state)).toBe(node);
    const left = createClusterView([member('s2'), member('s3')], { vnodesPerWeight: 64 });
    for (const [key, node] of first) {
      const now = strategy.route({ user: key }, left, state);
      expect(now).toBe(node === 's1' ? left.ring.owner(key) : node);
    }
    expect(state.assignments.size).toBe(200);
  });

  it('keeps state per caller: two states do not interfere', () => {
    const strategy = sticky('user');
    const a = strategy.initialState();
    const b = strategy.initialState();
    strategy.route({ user: 'x' }, view3(), a);
    expect(a.assignments.size).toBe(1);
    expect(b.assignments.size).toBe(0);
    expect(() => strategy.route({}, view3(), a)).toThrowError(code(RoutingError.code));
  });
});

describe('pin(field, tag)', () => {
  const view = createClusterView([
    member('cpu-1'),
    member('gpu-1', ['gpu']),
    member('gpu-2', ['gpu']),
    member('gpu-3', ['gpu']),
  ]);

  it('routes only to tagged shards, spreading keys among them and keeping each key on one', () => {
    const strategy = pin('model', 'gpu');
    const hits = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const target = strategy.route({ model: `m${i}` }, view, undefined);
      hits.set(target, (hits.get(target) ?? 0) + 1);
      expect(strategy.route({ model: `m${i}` }, view, undefined)).toBe(target);
    }
    expect([...hits.keys()].sort()).toEqual(['gpu-1', 'gpu-2', 'gpu-3']);
    for (const count of hits.values()) expect(count).toBeGreaterThan(800);
  });

  it('skips overloaded tagged shards, moving only their keys', () => {
    const strategy = pin('model', 'gpu');
    const loaded = withLoadReports(view, new Map([['gpu-2', full]]));
    for (let i = 0; i < 500; i++) {
      const before = strategy.route({ model: `m${i}` }, view, undefined);
      const after = strategy.route({ model: `m${i}` }, loaded, undefined);
      expect(after).not.toBe('gpu-2');
      if (before !== 'gpu-2') expect(after).toBe(before);
    }
  });

  it('throws NoCapacityError when no shard has the tag or all tagged shards are overloaded', () => {
    expect(() => pin('model', 'tpu').route({ model: 'm' }, view, undefined)).toThrowError(code(NoCapacityError.code));
    const allBusy = withLoadReports(view, new Map(['gpu-1', 'gpu-2', 'gpu-3'].map((id) => [id, full] as const)));
    expect(() => pin('model', 'gpu').route({ model: 'm' }, allBusy, undefined)).toThrowError(
      code(NoCapacityError.code),
    );
    expect(() => pin('model', 'gpu').route({}, view, undefined)).toThrowError(code(RoutingError.code));
    expect(() => pin('model', '')).toThrowError(code(ConfigError.code));
  });
});

describe('roundRobin()', () => {
  it('cycles through members in id order with explicit state, skipping overloaded ones', () => {
    const strategy = roundRobin();
    const state = strategy.initialState();
    const view = view3();
    const picks = Array.from({ length: 6 }, () => strategy.route(undefined, view, state));
    expect(picks).toEqual(['s1', 's2', 's3', 's1', 's2', 's3']);
    const loaded = withLoadReports(view, new Map([['s2', full]]));
    expect(Array.from({ length: 4 }, () => strategy.route(undefined, loaded, state))).toEqual(['s1', 's3', 's1', 's3']);
    expect(state.next).toBe(0);
  });

  it('throws NoCapacityError when the cluster is empty or every member is overloaded', () => {
    const strategy = roundRobin();
    expect(() => strategy.route(undefined, createClusterView([]), strategy.initialState())).toThrowError(
      code(NoCapacityError.code),
    );
    const busy = createClusterView([member('a', [], full)]);
    expect(() => strategy.route(undefined, busy, strategy.initialState())).toThrowError(code(NoCapacityError.code));
  });
});

describe('leastLoaded()', () => {
  it('routes to the lowest load, ties to the smallest id, never to an overloaded member', () => {
    const strategy = leastLoaded();
    const view = createClusterView([
      member('c', [], withCpu(0.1)),
      member('b', [], withCpu(0.1)),
      member('a', [], withCpu(0.5)),
    ]);
    expect(strategy.route(undefined, view, undefined)).toBe('b');
    const shifted = withLoadReports(view, new Map([['b', withCpu(0.9)]]));
    expect(strategy.route(undefined, shifted, undefined)).toBe('c');
    expect(() => strategy.route(undefined, createClusterView([member('x', [], full)]), undefined)).toThrowError(
      code(NoCapacityError.code),
    );
    expect(() => strategy.route(undefined, createClusterView([]), undefined)).toThrowError(code(NoCapacityError.code));
  });
});

describe('range(field, bounds, tags)', () => {
  const view = createClusterView([
    member('small-1', ['small']),
    member('small-2', ['small']),
    member('medium-1', ['medium']),
    member('large-1', ['large']),
  ]);
  const byPrice = range('order.price', [0, 100, 1000, Number.POSITIVE_INFINITY], ['small', 'medium', 'large']);
  const price = (p: unknown) => ({ order: { price: p } });

  it('sends a value in [bounds[i], bounds[i+1]) to a shard tagged tags[i]', () => {
    expect(byPrice.route(price(0), view, undefined)).toMatch(/^small-/);
    expect(byPrice.route(price(99.99), view, undefined)).toMatch(/^small-/);
    expect(byPrice.route(price(100), view, undefined)).toBe('medium-1');
    expect(byPrice.route(price(999), view, undefined)).toBe('medium-1');
    expect(byPrice.route(price(1000), view, undefined)).toBe('large-1');
    expect(byPrice.route(price(1e12), view, undefined)).toBe('large-1');
    const smalls = new Set(Array.from({ length: 100 }, (_, i) => byPrice.route(price(i), view, undefined)));
    expect([...smalls].sort()).toEqual(['small-1', 'small-2']);
  });

  it('works with string bounds', () => {
    const byName = range('name', ['a', 'n', '\uffff'], ['small', 'large']);
    expect(byName.route({ name: 'alice' }, view, undefined)).toMatch(/^small-/);
    expect(byName.route({ name: 'zed' }, view, undefined)).toBe('large-1');
    expect(() => byName.route({ name: 5 }, view, undefined)).toThrowError(code(RoutingError.code));
  });

  it('throws RoutingError for missing, mistyped or out-of-range values, naming the field', () => {
    for (const p of [undefined, null, '50', -1, Number.NaN]) {
      expect(() => byPrice.route(price(p), view, undefined)).toThrowError(
        expect.objectContaining({
          code: RoutingError.code,
          details: expect.objectContaining({ field: 'order.price' }),
        }),
      );
    }
  });

  it('throws NoCapacityError when the range has no capable shard', () => {
    const busy = withLoadReports(view, new Map([['medium-1', full]]));
    expect(() => byPrice.route(price(500), busy, undefined)).toThrowError(code(NoCapacityError.code));
    const noLarge = createClusterView([member('small-1', ['small'])]);
    expect(() => byPrice.route(price(5000), noLarge, undefined)).toThrowError(code(NoCapacityError.code));
  });

  it('rejects invalid bounds at definition with ConfigError', () => {
    const bad: [unknown[], string[]][] = [
      [[0], []],
      [[0, 10], []],
      [[10, 0], ['x']],
      [[0, 0], ['x']],
      [[0, 'm'], ['x']],
      [[Number.NaN, 1], ['x']],
      [[true, false], ['x']],
    ];
    for (const [bounds, tags] of bad) {
      expect(() => range('f', bounds as number[], tags)).toThrowError(code(ConfigError.code));
    }
  });
});
