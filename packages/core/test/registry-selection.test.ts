/** Version selection: `select` picks among enabled versions by weight, priority and affinity; disabled never. */
import { describe, expect, it } from 'vitest';
import { defineFunction } from '../src/definition.js';
import { FunctionDisabledError } from '../src/errors.js';
import { createRegistry } from '../src/registry.js';
import { codeOf } from './error-code.js';

const version = (v: string, options: object = {}) => defineFunction({ name: 'price', version: v, ...options }, () => v);

/** How often each id is selected over `n` evenly spread draws. */
function split(select: (draw: number) => string, n = 1000): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = select((i + 0.5) / n);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describe('FunctionRegistry.select', () => {
  it('splits by weight among enabled versions (90/10)', () => {
    const registry = createRegistry([version('1', { weight: 90 }), version('2', { weight: 10 })]);
    expect(split((draw) => registry.select('price', draw))).toEqual({ 'price@1': 900, 'price@2': 100 });
    // An explicit version or an unweighted name is left as is.
    expect(registry.select('price@2', 0.01)).toBe('price@2');
    expect(registry.select('other', 0.5)).toBe('other');
  });

  it('keeps today’s rule without declared weights: the active (highest enabled) version', () => {
    const registry = createRegistry([version('1'), version('2')]);
    expect(registry.select('price', 0.1)).toBe('price');
    expect(registry.get('price').version).toBe('2');
  });

  it('never selects a disabled version, whether loaded disabled or disabled later', () => {
    const registry = createRegistry([
      version('1', { weight: 1 }),
      version('2', { weight: 100, enabled: false }),
      version('3', { weight: 1 }),
    ]);
    expect(Object.keys(split((draw) => registry.select('price', draw))).sort()).toEqual(['price@1', 'price@3']);
    expect(codeOf(() => registry.get('price@2'))).toBe(FunctionDisabledError.code);
    registry.disable('price@3');
    // One enabled version left: no choice to make.
    expect(registry.select('price', 0.99)).toBe('price');
    expect(registry.get('price').version).toBe('1');
    registry.enable('price@2');
    expect(split((draw) => registry.select('price', draw))['price@2']).toBeGreaterThan(900);
  });

  it('scores priority and affinity: a version preferring one of the node tags gets more traffic there', () => {
    const registry = createRegistry([
      version('1', { weight: 1, affinity: 'gpu' }),
      version('2', { weight: 1, resources: { priority: 'critical' } }),
    ]);
    const onGpu = split((draw) => registry.select('price', draw, ['gpu']));
    const elsewhere = split((draw) => registry.select('price', draw, ['cpu']));
    expect(onGpu['price@1']!).toBeGreaterThan(elsewhere['price@1']!);
    expect(elsewhere['price@2']!).toBeGreaterThan(500);
  });
});
