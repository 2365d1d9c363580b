import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineFunction } from '../src/definition.js';
import { errorFromWire, HandlerError, isRetryableHandlerError, RetryableError, toLucentError } from '../src/errors.js';
import { createFunctionContext, defineEvent, LOG_LEVELS } from '../src/function-context.js';
import { completedOf, failedOf } from '../src/result-events.js';

describe('ctx.logger', () => {
  it('records enabled levels with their fields and message, in order', () => {
    const ctx = createFunctionContext('f', { logLevel: 'info' });
    ctx.logger.info({ a: 1 }, 'first');
    ctx.logger.error('second');
    ctx.logger.warn({ b: 2 });
    expect(ctx.records).toEqual([
      [LOG_LEVELS.info, 'first', { a: 1 }],
      [LOG_LEVELS.error, 'second', null],
      [LOG_LEVELS.warn, '', { b: 2 }],
    ]);
  });

  it('makes disabled levels one shared no-op that records nothing', () => {
    const info = createFunctionContext('f', { logLevel: 'info' }).logger;
    const silent = createFunctionContext('g', { logLevel: 'silent' }).logger;
    expect(info.debug).toBe(info.trace);
    expect(info.debug).toBe(silent.fatal);
    expect(info.info).not.toBe(info.debug);
    const ctx = createFunctionContext('f', { logLevel: 'warn' });
    ctx.logger.info('dropped');
    ctx.logger.debug({ big: 'x'.repeat(100) }, 'dropped');
    expect(ctx.records).toBeNull();
  });

  it('allocates no logger for a function that never logs', () => {
    const ctx = createFunctionContext('f');
    expect(ctx.records).toBeNull();
    expect(ctx.emitted).toBeNull();
  });
});

describe('ctx.emit', () => {
  it('collects events by type name or typed definition', () => {
    const shipped = defineEvent<{ orderId: string }>('OrderShipped');
    const ctx = createFunctionContext('f');
    ctx.emit(shipped, { orderId: 'o1' });
    ctx.emit('Plain', 3);
    expect(ctx.emitted).toEqual([
      ['OrderShipped', { orderId: 'o1' }],
      ['Plain', 3],
    ]);
  });

  it('types result events from the definition', () => {
    const price = defineFunction({ name: 'price' }, (_ctx, input: { qty: number }) => input.qty * 2);
    expect(completedOf(price).type).toBe('priceCompleted');
    expect(failedOf(price).type).toBe('priceFailed');
    expectTypeOf(completedOf(price).data).toEqualTypeOf<number | undefined>();
  });
});

describe('retryable handler errors', () => {
  it('keeps the retryable mark of a thrown error across the wire', () => {
    const marked = Object.assign(new Error('busy'), { retryable: true });
    const wire = toLucentError(marked, 'f').toWire();
    const revived = errorFromWire(wire);
    expect(HandlerError.is(revived)).toBe(true);
    expect(isRetryableHandlerError(revived)).toBe(true);
    expect(isRetryableHandlerError(toLucentError(new Error('plain'), 'f'))).toBe(false);
    expect(isRetryableHandlerError(new RetryableError({ reason: 'busy' }))).toBe(true);
  });
});
