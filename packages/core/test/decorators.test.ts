import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  functionOf,
  functionsOf,
  handles,
  hasDecoratedFunctions,
  lucentFunction,
  resources,
  shardBy,
} from '../src/decorators.js';
import { defineFunction, type FunctionContext, type FunctionDefinition, type OutputOf } from '../src/definition.js';
import { ConfigError } from '../src/errors.js';
import { createFunctionContext } from '../src/function-context.js';

const ctx: FunctionContext = createFunctionContext('t');

/** Everything but the handler, for comparing metadata. */
function metadataOf(
  def: FunctionDefinition,
): Omit<FunctionDefinition, 'handler' | 'routing'> & { routing: string | undefined } {
  // Strategies are objects with closures: compare them by what they are (`name`, e.g. `hash(id)`).
  const { handler: _handler, routing, ...rest } = def;
  return { ...rest, routing: routing?.name };
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (ConfigError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

class Pricing {
  constructor(readonly factor = 2) {}

  @handles('OrderPlaced')
  @shardBy('order.customerId')
  @resources({ cpu: 'high', memory: '512MB', timeoutMs: 100 })
  price(_ctx: FunctionContext, input: { qty: number }): number {
    return input.qty * this.factor;
  }

  @handles('OrderPlaced', 'OrderAmended')
  @handles('OrderCancelled')
  @lucentFunction({ name: 'audit', version: '3', retry: { maxAttempts: 1 } })
  async auditTrail(c: FunctionContext, input: string): Promise<string> {
    return `${c.name}:${input}`;
  }

  @lucentFunction()
  static ping(): string {
    return 'pong';
  }

  @lucentFunction({ name: 'secret' })
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: reached through the decorator's access.get
  #hidden(_ctx: FunctionContext, input: number): number {
    return input + this.factor;
  }

  undecorated(): number {
    return this.factor;
  }
}

describe('method decorators', () => {
  it('produce exactly the metadata defineFunction produces', () => {
    const fromClass = functionsOf(new Pricing());
    // The decorator spec applies static methods' decorators before instance methods', so statics come first.
    const expected = [
      defineFunction({ name: 'ping' }, () => 0),
      defineFunction(
        {
          name: 'price',
          handles: ['OrderPlaced'],
          shardBy: 'order.customerId',
          resources: { cpu: 'high', memory: '512MB', timeoutMs: 100 },
        },
        () => 0,
      ),
      defineFunction(
        {
          name: 'audit',
          version: '3',
          handles: ['OrderPlaced', 'OrderAmended', 'OrderCancelled'],
          retry: { maxAttempts: 1 },
        },
        () => 0,
      ),
      defineFunction({ name: 'secret' }, () => 0),
    ];
    expect(fromClass.map(metadataOf)).toEqual(expected.map(metadataOf));
    expect(fromClass.every((def) => Object.isFrozen(def))).toBe(true);
  });

  it('bind instance methods to the given instance and static methods to the class', async () => {
    const defs = functionsOf(new Pricing(10));
    const byName = new Map(defs.map((d) => [d.name, d]));
    expect(await byName.get('price')!.handler(ctx, { qty: 3 })).toBe(30);
    expect(await byName.get('audit')!.handler(ctx, 'x')).toBe('t:x');
    expect(await byName.get('ping')!.handler(ctx, undefined)).toBe('pong');
    expect(await byName.get('secret')!.handler(ctx, 1)).toBe(11);
  });

  it('construct a class once with no arguments when given the class', async () => {
    const defs = functionsOf(Pricing);
    const price = defs.find((d) => d.name === 'price')!;
    expect(await price.handler(ctx, { qty: 3 })).toBe(6);
  });

  it('do not construct a class whose decorated methods are all static', () => {
    let constructed = 0;
    class OnlyStatic {
      constructor() {
        constructed++;
      }
      @lucentFunction()
      static add(_ctx: FunctionContext, input: { a: number; b: number }): number {
        return input.a + input.b;
      }
    }
    expect(functionsOf(OnlyStatic).map((d) => d.name)).toEqual(['add']);
    expect(constructed).toBe(0);
  });

  it('give a typed definition for one method', async () => {
    const price = functionOf(new Pricing(), 'price');
    expectTypeOf(price).toEqualTypeOf<FunctionDefinition<{ qty: number }, number>>();
    const audit = functionOf(new Pricing(), 'auditTrail');
    expectTypeOf<OutputOf<typeof audit>>().toEqualTypeOf<string>();
    expect(audit.id).toBe('audit@3');
    const ping = functionOf(Pricing, 'ping');
    expect(await ping.handler(ctx, undefined as never)).toBe('pong');
    expect(configErrorOf(() => functionOf(new Pricing(), 'undecorated')).details).toMatchObject({
      subject: 'fn:undecorated',
      field: 'handler',
    });
  });

  it('inherit decorated methods, a subclass replacing its parent for the same method', () => {
    class Base {
      @lucentFunction()
      a(): number {
        return 1;
      }
      @handles('Old')
      b(): number {
        return 2;
      }
    }
    class Child extends Base {
      @handles('New')
      override b(): number {
        return 20;
      }
      @lucentFunction()
      c(): number {
        return 3;
      }
    }
    const child = functionsOf(Child);
    expect(child.map((d) => [d.name, d.handles])).toEqual([
      ['a', []],
      ['b', ['New']],
      ['c', []],
    ]);
    expect(child.find((d) => d.name === 'b')!.handler(ctx, undefined)).toBe(20);
    // The parent's own records are untouched by the subclass.
    expect(functionsOf(Base).map((d) => [d.name, d.handles])).toEqual([
      ['a', []],
      ['b', ['Old']],
    ]);
  });

  it('return nothing for undecorated classes and plain values', () => {
    class Plain {
      run(): number {
        return 1;
      }
    }
    expect(functionsOf(Plain)).toEqual([]);
    expect(functionsOf({ run: () => 1 })).toEqual([]);
    expect(hasDecoratedFunctions(Plain)).toBe(false);
    expect(hasDecoratedFunctions({})).toBe(false);
    expect(hasDecoratedFunctions(null)).toBe(false);
    expect(hasDecoratedFunctions(3)).toBe(false);
    expect(hasDecoratedFunctions(Pricing)).toBe(true);
    expect(hasDecoratedFunctions(new Pricing())).toBe(true);
  });

  it('report invalid metadata as defineFunction does, naming the function and field', () => {
    class Bad {
      @resources({ cpu: 'turbo' as 'high' })
      hot(): number {
        return 1;
      }
    }
    expect(configErrorOf(() => functionsOf(Bad)).details).toMatchObject({ subject: 'fn:hot', field: 'resources.cpu' });

    class BadName {
      @lucentFunction({ name: 'has.dot' })
      run(): number {
        return 1;
      }
    }
    expect(configErrorOf(() => functionsOf(BadName)).details).toMatchObject({ field: 'name' });
  });

  it('refuse a field set twice on one method', () => {
    const error = configErrorOf(() => {
      class Twice {
        @shardBy('a')
        @shardBy('b')
        run(): number {
          return 1;
        }
      }
      return Twice;
    });
    expect(error.details).toMatchObject({ subject: 'fn:run', field: 'shardBy' });

    const viaOptions = configErrorOf(() => {
      class Twice {
        @lucentFunction({ resources: { cpu: 'low' } })
        @resources({ cpu: 'high' })
        run(): number {
          return 1;
        }
      }
      return Twice;
    });
    expect(viaOptions.details).toMatchObject({ subject: 'fn:run', field: 'resources' });
  });

  it('polyfill Symbol.metadata with the key esbuild and tsc helpers fall back to', () => {
    expect(Symbol.metadata).toBeDefined();
    expect(typeof Symbol.metadata).toBe('symbol');
    expect((Pricing as unknown as Record<symbol, unknown>)[Symbol.metadata]).toBeTypeOf('object');
  });
});
