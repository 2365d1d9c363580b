import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  DEFAULT_RETRY,
  DEFAULT_RETRY_ON,
  DEFAULT_VERSION,
  defineFunction,
  FUNCTION_BRAND,
  type FunctionContext,
  type FunctionDefinition,
  type FunctionOptions,
  type InputOf,
  isFunctionDefinition,
  isValidName,
  type OutputOf,
  retryDelayMs,
} from '../src/definition.js';
import { ConfigError } from '../src/errors.js';
import { createFunctionContext } from '../src/function-context.js';
import { DEFAULT_RESOURCES } from '../src/resources.js';

const ctx: FunctionContext = createFunctionContext('price');

/** Runs `fn` and returns the ConfigError it throws (fails the test if it throws anything else or nothing). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (ConfigError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function define(options: Record<string, unknown>): FunctionDefinition {
  return defineFunction(options as unknown as FunctionOptions, () => 0);
}

describe('defineFunction', () => {
  it('carries input and output types to the definition, unwrapping promises', () => {
    const price = defineFunction({ name: 'price' }, (_ctx, input: { qty: number }) => input.qty * 2);
    expectTypeOf(price).toEqualTypeOf<FunctionDefinition<{ qty: number }, number>>();
    expectTypeOf<InputOf<typeof price>>().toEqualTypeOf<{ qty: number }>();
    expectTypeOf<OutputOf<typeof price>>().toEqualTypeOf<number>();

    const later = defineFunction({ name: 'later' }, async (_ctx, input: string) => input.length);
    expectTypeOf<OutputOf<typeof later>>().toEqualTypeOf<number>();
    // A typed definition fits where any definition is expected (e.g. a registry).
    expectTypeOf(price).toExtend<FunctionDefinition>();
  });

  it('gives the handler a typed context and runs it', async () => {
    const echo = defineFunction({ name: 'echo' }, (c, input: number) => `${c.name}:${c.attempt}:${input}`);
    expect(await echo.handler(ctx, 7)).toBe('price:1:7');
  });

  it('fills documented defaults and freezes the definition', () => {
    const def = define({ name: 'plain' });
    expect(def).toMatchObject({
      name: 'plain',
      version: DEFAULT_VERSION,
      id: 'plain@1',
      handles: [],
      shardBy: undefined,
      resources: DEFAULT_RESOURCES,
      retry: DEFAULT_RETRY,
    });
    expect(DEFAULT_RESOURCES).toEqual({
      cpu: 'medium',
      memoryBytes: 0,
      priority: 'normal',
      timeoutMs: 30_000,
      maxConcurrency: 0,
    });
    expect(DEFAULT_RETRY).toEqual({
      maxAttempts: 3,
      backoffMs: 100,
      multiplier: 2,
      maxBackoffMs: 10_000,
      retryOn: DEFAULT_RETRY_ON,
    });
    expect(def.events).toEqual({ completed: false, failed: false });
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.handles)).toBe(true);
    expect(() => {
      (def as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });

  it('resolves every field it is given', () => {
    const def = define({
      name: 'quote_v-2',
      version: '2.1.0',
      handles: ['OrderPlaced', 'OrderAmended', 'OrderPlaced'],
      shardBy: 'order.customer_id',
      resources: { cpu: 'critical', memory: '1GB', priority: 'high', timeoutMs: 250 },
      retry: { maxAttempts: 5, backoffMs: 10, retryOn: ['LUCENT_TIMEOUT'] },
      events: { completed: true },
    });
    expect(def.id).toBe('quote_v-2@2.1.0');
    expect(def.handles).toEqual(['OrderPlaced', 'OrderAmended']);
    expect(def.routing?.field?.segments).toEqual(['order', 'customer_id']);
    expect(def.resources).toEqual({
      cpu: 'critical',
      memoryBytes: 2 ** 30,
      priority: 'high',
      timeoutMs: 250,
      maxConcurrency: 0,
    });
    expect(def.retry).toEqual({
      maxAttempts: 5,
      backoffMs: 10,
      multiplier: 2,
      maxBackoffMs: 10_000,
      retryOn: ['LUCENT_TIMEOUT'],
    });
    expect(def.events).toEqual({ completed: true, failed: false });
  });

  it('accepts a single event type as a string', () => {
    expect(define({ name: 'one', handles: 'OrderPlaced' }).handles).toEqual(['OrderPlaced']);
  });

  it.each([
    ['empty name', { name: '' }, 'name'],
    ['missing name', {}, 'name'],
    ['non-string name', { name: 42 }, 'name'],
    ['name with a dot', { name: 'price.v2' }, 'name'],
    ['name with a space', { name: 'pr ice' }, 'name'],
    ['name with a wildcard', { name: 'price*' }, 'name'],
    ['name with @', { name: 'price@2' }, 'name'],
    ['name starting with -', { name: '-price' }, 'name'],
    ['name over 128 characters', { name: 'p'.repeat(129) }, 'name'],
    ['empty version', { name: 'f', version: '' }, 'version'],
    ['version with @', { name: 'f', version: '1@2' }, 'version'],
    ['non-string version', { name: 'f', version: 2 }, 'version'],
    ['event type with an empty dotted part', { name: 'f', handles: ['order..placed'] }, 'handles'],
    ['empty event type', { name: 'f', handles: [''] }, 'handles'],
    ['handles not a list', { name: 'f', handles: 3 }, 'handles'],
    ['empty shardBy', { name: 'f', shardBy: '' }, 'shardBy'],
    ['shardBy with an empty segment', { name: 'f', shardBy: 'order..id' }, 'shardBy'],
    ['shardBy through __proto__', { name: 'f', shardBy: '__proto__.x' }, 'shardBy'],
    ['non-string shardBy', { name: 'f', shardBy: 1 }, 'shardBy'],
    ['unknown cpu class', { name: 'f', resources: { cpu: 'huge' } }, 'resources.cpu'],
    ['unknown priority', { name: 'f', resources: { priority: 'urgent' } }, 'resources.priority'],
    ['unparsable memory', { name: 'f', resources: { memory: 'lots' } }, 'resources.memory'],
    ['unknown memory unit', { name: 'f', resources: { memory: '5TB' } }, 'resources.memory'],
    ['zero memory', { name: 'f', resources: { memory: '0MB' } }, 'resources.memory'],
    ['negative timeout', { name: 'f', resources: { timeoutMs: -1 } }, 'resources.timeoutMs'],
    ['NaN timeout', { name: 'f', resources: { timeoutMs: Number.NaN } }, 'resources.timeoutMs'],
    ['infinite timeout', { name: 'f', resources: { timeoutMs: Number.POSITIVE_INFINITY } }, 'resources.timeoutMs'],
    ['misspelt resource', { name: 'f', resources: { cpus: 'low' } }, 'resources.cpus'],
    ['resources not an object', { name: 'f', resources: 'high' }, 'resources'],
    ['zero attempts', { name: 'f', retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
    ['fractional attempts', { name: 'f', retry: { maxAttempts: 1.5 } }, 'retry.maxAttempts'],
    ['negative backoff', { name: 'f', retry: { backoffMs: -5 } }, 'retry.backoffMs'],
    ['shrinking multiplier', { name: 'f', retry: { multiplier: 0.5 } }, 'retry.multiplier'],
    ['cap below backoff', { name: 'f', retry: { backoffMs: 100, maxBackoffMs: 50 } }, 'retry.maxBackoffMs'],
    ['misspelt retry field', { name: 'f', retry: { attempts: 2 } }, 'retry.attempts'],
    ['retry not an object', { name: 'f', retry: 3 }, 'retry'],
    ['retryOn not a list of codes', { name: 'f', retry: { retryOn: 'LUCENT_TIMEOUT' } }, 'retry.retryOn'],
    ['misspelt events field', { name: 'f', events: { complete: true } }, 'events.complete'],
    ['events flag not a boolean', { name: 'f', events: { failed: 1 } }, 'events.failed'],
    ['unknown option', { name: 'f', shardKey: 'id' }, 'shardKey'],
  ])('rejects %s with a ConfigError naming the field', (_label, options, field) => {
    const error = configErrorOf(() => define(options));
    expect(error.code).toBe('LUCENT_CONFIG');
    expect(error.details.field).toBe(field);
    const name = (options as { name?: unknown }).name;
    expect(error.details.subject).toBe(typeof name === 'string' && name !== '' ? `fn:${name}` : 'fn:?');
  });

  it('rejects a handler that is not a function', () => {
    const error = configErrorOf(() => defineFunction({ name: 'f' }, 'nope' as unknown as () => 0));
    expect(error.details).toMatchObject({ subject: 'fn:f', field: 'handler' });
  });

  it('rejects options that are not an object', () => {
    const error = configErrorOf(() => defineFunction(null as unknown as FunctionOptions, () => 0));
    expect(error.details.field).toBe('options');
  });
});

describe('isFunctionDefinition', () => {
  it('recognises definitions by their Symbol.for brand and nothing else', () => {
    expect(FUNCTION_BRAND).toBe(Symbol.for('lucent.function'));
    expect(isFunctionDefinition(define({ name: 'f' }))).toBe(true);
    expect(isFunctionDefinition({ name: 'f', handler: () => 0 })).toBe(false);
    expect(isFunctionDefinition({ [Symbol('lucent.function')]: true })).toBe(false);
    expect(isFunctionDefinition(null)).toBe(false);
    expect(isFunctionDefinition(() => 0)).toBe(false);
  });

  it('recognises a definition made by another instance of the module (as a worker importing it would)', async () => {
    vi.resetModules();
    // A query string makes a second, independent instance of the module; a variable keeps tsc from resolving it.
    const specifier = '../src/definition.js?instance=2';
    const other = (await import(/* @vite-ignore */ specifier)) as typeof import('../src/definition.js');
    expect(other.defineFunction).not.toBe(defineFunction);
    expect(isFunctionDefinition(other.defineFunction({ name: 'f' }, () => 0))).toBe(true);
  });
});

describe('isValidName', () => {
  it('accepts subject tokens and refuses everything else', () => {
    expect(['price', 'Order_Placed', '_x', 'a-b', 'A1'].every(isValidName)).toBe(true);
    expect(['', '1price', 'a.b', 'a b', 'a>', 'a*', 'a@1', 7, undefined].some(isValidName)).toBe(false);
  });
});

describe('retryDelayMs', () => {
  it('grows by the multiplier from the first retry and stops at the cap', () => {
    const policy = { maxAttempts: 6, backoffMs: 100, multiplier: 3, maxBackoffMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt))).toEqual([0, 100, 300, 900, 1000]);
  });
});
