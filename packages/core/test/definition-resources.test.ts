import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  CPU_CLASSES,
  DEFAULT_RESOURCES,
  PRIORITIES,
  parseMemoryBytes,
  type ResourceSpec,
  resolveResources,
} from '../src/resources.js';

describe('parseMemoryBytes', () => {
  it.each([
    ['512B', 512],
    ['1KB', 1024],
    ['1KiB', 1024],
    ['256MB', 256 * 2 ** 20],
    ['256MiB', 256 * 2 ** 20],
    ['1GB', 2 ** 30],
    ['2GiB', 2 * 2 ** 30],
    ['1.5GB', 1.5 * 2 ** 30],
    ['.5 KB', 512],
    ['64 mb', 64 * 2 ** 20],
    [' 8kib ', 8192],
    [4096, 4096],
    [1000.9, 1000],
  ])('reads %j as %d bytes (binary units: MB = MiB)', (spec, bytes) => {
    expect(parseMemoryBytes(spec)).toBe(bytes);
  });

  it.each([
    ['lots'],
    ['256'],
    ['MB'],
    ['5TB'],
    ['-1MB'],
    ['1e3MB'],
    ['0MB'],
    ['0.1B'],
    [0],
    [-5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [null],
    [{}],
  ])('refuses %j', (spec) => {
    expect(parseMemoryBytes(spec)).toBeUndefined();
  });
});

describe('resolveResources', () => {
  it('returns the frozen defaults for no spec', () => {
    expect(resolveResources(undefined, 'fn:f')).toBe(DEFAULT_RESOURCES);
    expect(Object.isFrozen(DEFAULT_RESOURCES)).toBe(true);
  });

  it('keeps closed sets ordered lightest first so their index is a rank', () => {
    expect(CPU_CLASSES).toEqual(['low', 'medium', 'high', 'critical']);
    expect(PRIORITIES).toEqual(['low', 'normal', 'high', 'critical']);
  });

  it('fills what a partial spec leaves out', () => {
    const resolved = resolveResources({ memory: '1GiB' }, 'fn:f');
    expect(resolved).toEqual({ ...DEFAULT_RESOURCES, memoryBytes: 2 ** 30 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('accepts a zero timeout as "no limit of its own"', () => {
    expect(resolveResources({ timeoutMs: 0 }, 'fn:f').timeoutMs).toBe(0);
  });

  it('takes maxConcurrency as a whole number of calls (0 = no limit of its own) and refuses anything else', () => {
    expect(resolveResources({ maxConcurrency: 4 }, 'fn:f').maxConcurrency).toBe(4);
    expect(DEFAULT_RESOURCES.maxConcurrency).toBe(0);
    for (const bad of [-1, 1.5, Number.POSITIVE_INFINITY, '4']) {
      expect(() => resolveResources({ maxConcurrency: bad } as unknown as ResourceSpec, 'fn:f')).toThrow(
        expect.objectContaining({
          code: 'LUCENT_CONFIG',
          details: expect.objectContaining({ field: 'resources.maxConcurrency' }),
        }),
      );
    }
  });

  it('names the subject it was given in its errors', () => {
    try {
      resolveResources({ cpu: 'turbo' } as unknown as ResourceSpec, 'actor:Cart');
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error) && error.details).toMatchObject({ subject: 'actor:Cart', field: 'resources.cpu' });
    }
  });
});
