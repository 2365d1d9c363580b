import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_ON, defineFunction, type FunctionDefinition } from '../src/definition.js';
import { ConfigError, FunctionDisabledError, UnknownFunctionError } from '../src/errors.js';
import { createFunctionContext } from '../src/function-context.js';
import { compareVersions, createRegistry, type FunctionRegistry } from '../src/registry.js';
import { codeOf } from './error-code.js';
import * as duplicateModule from './fixtures/duplicate-price.js';
import * as pricingModule from './fixtures/pricing.js';

const ctx = createFunctionContext('t');

function fromPricing(): FunctionRegistry {
  const registry = createRegistry();
  registry.addModule(pricingModule);
  return registry;
}

describe('FunctionRegistry.addModule', () => {
  it('picks definitions, arrays of them and decorated classes, and ignores other exports', () => {
    const registry = createRegistry();
    const added = registry.addModule(pricingModule);
    expect(added.map((d) => d.id).sort()).toEqual(['duty@1', 'price@1', 'price@2', 'quote@1', 'spread@1', 'tax@1']);
    // `price` is exported twice (named and default) and counted once.
    expect(registry.size).toBe(6);
    expect(registry.list().map((d) => d.id)).toEqual(['duty@1', 'price@1', 'price@2', 'quote@1', 'spread@1', 'tax@1']);
  });

  it('gives handlers that run the module code', async () => {
    const registry = fromPricing();
    const order = { customerId: 'c1', qty: 3, unitPrice: 1.111 };
    expect(await registry.get('price@1').handler(ctx, { order })).toBeCloseTo(3.333);
    // Version 2 rounds to cents, so the bare name reaching it shows in the result.
    expect(await registry.get('price').handler(ctx, { order })).toBe(3.33);
    expect(await registry.get('quote').handler(ctx, { symbol: 'X', mid: 10 })).toBeCloseTo(11);
    expect(await registry.get('spread').handler(ctx, { bid: 1, ask: 1.5 })).toBe(0.5);
  });

  it('registers nothing when the module holds a duplicate name@version', () => {
    const registry = createRegistry();
    try {
      registry.addModule(duplicateModule);
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error) && error.details).toMatchObject({ subject: 'fn:price', field: 'version' });
    }
    expect(registry.size).toBe(0);
    expect(registry.has('fine')).toBe(false);
  });
});

describe('FunctionRegistry look-ups', () => {
  it('resolves a bare name to the highest version and name@version exactly', () => {
    const registry = fromPricing();
    expect(registry.get('price').id).toBe('price@2');
    expect(registry.get('price@1')).toBe(pricingModule.price);
    expect(registry.get('price@2')).toBe(pricingModule.priceV2);
    expect(registry.versions('price')).toEqual(['1', '2']);
    expect(registry.versions('nope')).toEqual([]);
  });

  it('returns the same object on every get, with no allocation per look-up', () => {
    const registry = fromPricing();
    expect(registry.get('price')).toBe(registry.get('price'));
    expect(registry.handlersOf('OrderPlaced')).toBe(registry.handlersOf('OrderPlaced'));
    expect(registry.handlersOf('Nothing')).toBe(registry.handlersOf('Other'));
  });

  it('throws UnknownFunctionError for an unknown name or version', () => {
    const registry = fromPricing();
    expect(codeOf(() => registry.get('nope'))).toBe(UnknownFunctionError.code);
    expect(codeOf(() => registry.get('price@9'))).toBe(UnknownFunctionError.code);
    expect(registry.find('nope')).toBeUndefined();
    expect(registry.has('price@9')).toBe(false);
  });

  it('lists the active version of every enabled handler of an event type, by name', () => {
    const registry = fromPricing();
    expect(registry.handlersOf('OrderPlaced').map((d) => d.id)).toEqual(['price@2', 'tax@1']);
    expect(registry.handlersOf('OrderAmended').map((d) => d.id)).toEqual(['tax@1']);
    expect(registry.handlersOf('QuoteRequested').map((d) => d.id)).toEqual(['quote@1']);
    expect(registry.handlersOf('Unknown')).toEqual([]);
    expect(Object.isFrozen(registry.handlersOf('OrderPlaced'))).toBe(true);
  });

  it('orders versions numerically per segment', () => {
    expect(['10', '2', '1.10', '1.9', '1', '1.9.1', 'beta', '01.2', '1.rc'].sort(compareVersions)).toEqual([
      '01.2',
      '1',
      '1.9',
      '1.9.1',
      '1.10',
      '1.rc',
      '2',
      '10',
      'beta',
    ]);
    expect(compareVersions('123456789012345678901', '99999999999999999999')).toBeGreaterThan(0);
  });

  it('orders versions as a consistent comparator (antisymmetric, transitive)', () => {
    // Small alphabet so collisions such as '01' vs '1' vs '0a' vs '10' come up often.
    const segment = fc.stringMatching(/^[01a]{1,3}$/);
    const version = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        expect(compareVersions(a, b) === 0).toBe(a === b);
        if (compareVersions(a, b) < 0 && compareVersions(b, c) < 0) expect(compareVersions(a, c)).toBeLessThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('picks the highest version regardless of the order versions were added', () => {
    const make = (version: string) => defineFunction({ name: 'f', version }, () => version);
    const registry = createRegistry([make('10'), make('9'), make('2')]);
    expect(registry.get('f').version).toBe('10');
    expect(registry.versions('f')).toEqual(['2', '9', '10']);
  });
});

describe('FunctionRegistry enable and disable', () => {
  it('falls back to the highest enabled version when the newest is disabled', () => {
    const registry = fromPricing();
    registry.disable('price@2');
    expect(registry.get('price').id).toBe('price@1');
    expect(registry.handlersOf('OrderPlaced').map((d) => d.id)).toEqual(['price@1', 'tax@1']);
    expect(codeOf(() => registry.get('price@2'))).toBe(FunctionDisabledError.code);
    expect(registry.isEnabled('price@2')).toBe(false);
    expect(registry.isEnabled('price')).toBe(true);
    registry.enable('price@2');
    expect(registry.get('price').id).toBe('price@2');
  });

  it('disables every version for a bare name, skipping it in handler look-ups', () => {
    const registry = fromPricing();
    registry.disable('price').disable('price');
    expect(codeOf(() => registry.get('price'))).toBe(FunctionDisabledError.code);
    expect(codeOf(() => registry.get('price@1'))).toBe(FunctionDisabledError.code);
    expect(registry.find('price')).toBeUndefined();
    expect(registry.has('price')).toBe(true);
    expect(registry.handlersOf('OrderPlaced').map((d) => d.id)).toEqual(['tax@1']);
    registry.enable('price');
    expect(registry.handlersOf('OrderPlaced').map((d) => d.id)).toEqual(['price@2', 'tax@1']);
  });

  it('throws UnknownFunctionError when enabling or disabling what is not registered', () => {
    const registry = fromPricing();
    expect(codeOf(() => registry.disable('nope'))).toBe(UnknownFunctionError.code);
    expect(codeOf(() => registry.enable('price@7'))).toBe(UnknownFunctionError.code);
  });
});

describe('FunctionRegistry.add', () => {
  const one = defineFunction({ name: 'one' }, () => 1);

  it('is idempotent for the same definition object', () => {
    const registry = createRegistry([one]).add(one);
    expect(registry.size).toBe(1);
  });

  it('refuses another definition with the same name@version', () => {
    const registry = createRegistry([one]);
    const clash = defineFunction({ name: 'one' }, () => 2);
    expect(codeOf(() => registry.add(clash))).toBe(ConfigError.code);
    expect(registry.get('one')).toBe(one);
  });

  it('refuses a value that is not a definition', () => {
    const fake = { name: 'fake', handler: () => 0 } as unknown as FunctionDefinition;
    try {
      createRegistry().add(fake);
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error) && error.details.field).toBe('definition');
    }
  });
});

describe('FunctionRegistry.describe', () => {
  it('is plain data that survives structured cloning and JSON', () => {
    const registry = fromPricing().disable('price@2');
    const description = registry.describe();
    expect(structuredClone(description)).toEqual(description);
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    expect(description.find((d) => d.id === 'price@1')).toEqual({
      name: 'price',
      version: '1',
      id: 'price@1',
      handles: ['OrderPlaced'],
      shardBy: 'order.customerId',
      resources: { cpu: 'high', memoryBytes: 512 * 2 ** 20, priority: 'normal', timeoutMs: 30_000, maxConcurrency: 0 },
      retry: { maxAttempts: 3, backoffMs: 100, multiplier: 2, maxBackoffMs: 10_000, retryOn: [...DEFAULT_RETRY_ON] },
      enabled: true,
      active: true,
    });
    expect(description.find((d) => d.id === 'price@2')).toMatchObject({ enabled: false, active: false });
    expect(description.find((d) => d.id === 'duty@1')).toMatchObject({ shardBy: null, handles: [] });
    expect(description.map((d) => d.id)).toEqual(registry.list().map((d) => d.id));
  });
});
