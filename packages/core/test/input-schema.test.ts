// Function input schemas through Standard Schema, tried with valibot (any `~standard` v1 library works).
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineFunction, type InputOf } from '../src/definition.js';
import { ConfigError, InvalidInputError } from '../src/errors.js';
import { checkInput, isInputSchema } from '../src/input-schema.js';

const Quote = v.object({ sku: v.string(), qty: v.pipe(v.number(), v.integer(), v.minValue(1)) });
const quote = defineFunction({ name: 'quote', input: Quote }, (_ctx, input) => ({ total: input.qty * 2 }));

describe('defineFunction({ input })', () => {
  it("takes the schema's output type as the function's input type", () => {
    expectTypeOf<InputOf<typeof quote>>().toEqualTypeOf<{ sku: string; qty: number }>();
    expect(quote.input).toBe(Quote);
    expect(defineFunction({ name: 'plain' }, () => 1).input).toBeUndefined();
  });

  it('refuses an input that is not a Standard Schema with ConfigError (field input)', () => {
    for (const input of [{}, { '~standard': { version: 2, validate: () => ({}) } }, 'string', null]) {
      const thrown = (() => {
        try {
          defineFunction({ name: 'bad', input: input as never }, () => 1);
        } catch (error) {
          return error;
        }
      })();
      expect(ConfigError.is(thrown)).toBe(true);
      expect((thrown as ConfigError).details.field).toBe('input');
    }
  });
});

describe('checkInput', () => {
  it('returns the output synchronously for a sync schema', () => {
    expect(isInputSchema(Quote)).toBe(true);
    expect(checkInput('quote', Quote, { sku: 'a', qty: 2 })).toEqual({ sku: 'a', qty: 2 });
  });

  it('throws InvalidInputError listing every issue with its path', () => {
    let error: unknown;
    try {
      checkInput('quote', Quote, { sku: 42, qty: 'x' });
    } catch (e) {
      error = e;
    }
    expect(InvalidInputError.is(error)).toBe(true);
    const { details } = error as InvalidInputError;
    expect(details.name).toBe('quote');
    expect(details.issues.map((issue) => issue.path).sort()).toEqual(['qty', 'sku']);
    expect((error as Error).message).toContain("invalid input to 'quote'");
    // The details cross the wire: plain data only.
    expect(JSON.parse(JSON.stringify(details))).toEqual(details);
  });

  it('rejects asynchronously for an async schema, and reports a throwing schema as an issue', async () => {
    const Async = v.pipeAsync(
      v.string(),
      v.checkAsync(async (s) => s.length > 2, 'too short'),
    );
    await expect(checkInput('f', Async, 'ab') as Promise<unknown>).rejects.toMatchObject({
      code: 'LUCENT_INVALID_INPUT',
      details: { issues: [{ message: 'too short', path: '' }] },
    });
    await expect(checkInput('f', Async, 'abc') as Promise<unknown>).resolves.toBe('abc');
    const throwing = {
      '~standard': {
        version: 1 as const,
        vendor: 'x',
        validate: () => {
          throw new Error('bug');
        },
      },
    };
    expect(() => checkInput('f', throwing, 1)).toThrow(expect.objectContaining({ code: 'LUCENT_INVALID_INPUT' }));
  });
});
