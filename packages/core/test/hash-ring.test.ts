import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, NoCapacityError } from '../src/errors.js';
import { hash32, mix32, murmur3Bytes } from '../src/hash.js';
import { HashRing } from '../src/hash-ring.js';

const encoder = new TextEncoder();
const names = (n: number, prefix = 'node') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('hash32 (murmur3 x86_32 over UTF-8)', () => {
  it('matches the published murmur3 test vectors', () => {
    expect(hash32('')).toBe(0);
    expect(hash32('', 1)).toBe(0x514e28b7);
    expect(hash32('', 0xffffffff)).toBe(0x81f16f39);
    expect(hash32('\0\0\0\0')).toBe(0x2362f9de);
    expect(hash32('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(hash32('abc', 0x9747b28c)).toBe(0xc84a62dd);
    expect(hash32('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(hash32('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(hash32('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('equals murmur3 of the TextEncoder bytes for any string (including non-ASCII and lone surrogates)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(hash32(s, seed)).toBe(murmur3Bytes(encoder.encode(s), seed));
      }),
      { numRuns: 500 },
    );
    for (const s of ['é', 'naïve-key', '日本語のキー', '😀x', 'abc\ud800', '\udc00abcd', 'ab\ud83d\ude00cd']) {
      expect(hash32(s)).toBe(murmur3Bytes(encoder.encode(s)));
    }
  });

  it('mix32 is the murmur3 finalizer and returns unsigned values', () => {
    expect(mix32(0)).toBe(0);
    expect(mix32(-1)).toBeGreaterThanOrEqual(0);
    expect(mix32(1)).not.toBe(mix32(2));
  });
});

describe('HashRing', () => {
  it('rejects lookups on an empty ring with NoCapacityError, and returns an empty preference list', () => {
    const ring = new HashRing();
    expect(() => ring.owner('k')).toThrowError(expect.objectContaining({ code: NoCapacityError.code }));
    expect(ring.owners('k', 3)).toEqual([]);
    expect(ring.size).toBe(0);
  });

  it('is the same ring whatever the insertion order', () => {
    const ids = names(20);
    const a = new HashRing(ids, { vnodesPerWeight: 64 });
    const b = new HashRing([...ids].reverse(), { vnodesPerWeight: 64 });
    const c = new HashRing([], { vnodesPerWeight: 64 });
    // Interleaved order, plus a node that comes and goes: the ring depends on membership only.
    for (const id of [...ids.filter((_, i) => i % 2 === 1), 'transient', ...ids.filter((_, i) => i % 2 === 0)])
      c.add(id);
    c.owner('build now');
    c.remove('transient');
    expect(b.nodes).toEqual(a.nodes);
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      expect(b.owner(key)).toBe(a.owner(key));
      expect(c.owners(key, 3)).toEqual(a.owners(key, 3));
    }
  });

  it('breaks ties between equal points by node id, so colliding points resolve the same everywhere', () => {
    // Find two node ids whose single points collide (birthday search: ~1 collision per 93k ids).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let j = 0; pair === undefined && j < 1_000_000; j++) {
      const id = `c${j}`;
      const point = hash32(`${id}#0`);
      const other = seen.get(point);
      if (other === undefined) seen.set(point, id);
      else pair = [other, id];
    }
    expect(pair).toBeDefined();
    const [first, second] = pair!;
    const [smaller, larger] = [first, second].sort() as [string, string];
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const ring = new HashRing(order, { vnodesPerWeight: 1 });
      expect(ring.owner('any key')).toBe(smaller);
      expect(ring.owners('any key', 2)).toEqual([smaller, larger]);
      expect(ring.shares().get(smaller)).toBe(1);
      expect(ring.shares().get(larger)).toBe(0);
    }
  });

  it('owners() returns n distinct nodes, starting with owner(), and reuses the array it is given', () => {
    const ring = new HashRing(names(10), { vnodesPerWeight: 32 });
    const out: string[] = ['stale'];
    for (let i = 0; i < 500; i++) {
      const key = `key-${i}`;
      const list = ring.owners(key, 4, out);
      expect(list).toBe(out);
      expect(list).toHaveLength(4);
      expect(new Set(list).size).toBe(4);
      expect(list[0]).toBe(ring.owner(key));
    }
    expect(ring.owners('k', 50)).toHaveLength(10);
    expect(ring.owners('k', 0)).toEqual([]);
  });

  it('add is idempotent, remove of a non-member is a no-op, and the membership accessors follow', () => {
    const ring = new HashRing(['a', 'b'], { vnodesPerWeight: 16 });
    const before = Array.from({ length: 200 }, (_, i) => ring.owner(`k${i}`));
    ring.add('a');
    expect(ring.remove('zzz')).toBe(false);
    expect(Array.from({ length: 200 }, (_, i) => ring.owner(`k${i}`))).toEqual(before);
    expect(ring.nodes).toEqual(['a', 'b']);
    expect(ring.has('a')).toBe(true);
    expect(ring.remove('a')).toBe(true);
    expect(ring.has('a')).toBe(false);
    expect(ring.nodes).toEqual(['b']);
    expect(ring.size).toBe(1);
    expect(ring.owner('anything')).toBe('b');
  });

  it('gives a node a share of the ring proportional to its weight', () => {
    const ring = new HashRing([['heavy', 3], 'light-1', 'light-2', 'light-3'], { vnodesPerWeight: 512 });
    expect(ring.weightOf('heavy')).toBe(3);
    expect(ring.pointCount).toBe(6 * 512);
    const shares = ring.shares();
    let sum = 0;
    for (const share of shares.values()) sum += share;
    expect(sum).toBeCloseTo(1, 9);
    expect(shares.get('heavy')!).toBeGreaterThan(0.4);
    expect(shares.get('heavy')!).toBeLessThan(0.6);
    ring.add('heavy', 1);
    expect(ring.shares().get('heavy')!).toBeLessThan(0.35);
  });

  it('rejects invalid weights and vnode counts with ConfigError', () => {
    const code = { code: ConfigError.code };
    expect(() => new HashRing([], { vnodesPerWeight: 0 })).toThrowError(expect.objectContaining(code));
    expect(() => new HashRing([], { vnodesPerWeight: 1.5 })).toThrowError(expect.objectContaining(code));
    expect(() => new HashRing().add('a', 0)).toThrowError(expect.objectContaining(code));
    expect(() => new HashRing().add('a', Number.NaN)).toThrowError(expect.objectContaining(code));
    expect(() => new HashRing().add('a', Number.POSITIVE_INFINITY)).toThrowError(expect.objectContaining(code));
  });

  it('wraps around: a key hashing past the last point belongs to the first point', () => {
    const ring = new HashRing(['a', 'b', 'c'], { vnodesPerWeight: 1 });
    const points = ['a', 'b', 'c'].map((n) => ({ n, p: hash32(`${n}#0`) })).sort((x, y) => x.p - y.p);
    // Find a key hashing above the highest point.
    let key = '';
    for (let i = 0; ; i++) {
      if (hash32(`w${i}`) > points[2]!.p) {
        key = `w${i}`;
        break;
      }
    }
    expect(ring.owner(key)).toBe(points[0]!.n);
  });
});
