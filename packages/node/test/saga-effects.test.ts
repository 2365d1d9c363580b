// Effect handlers behind their cockatiel policies (retry, circuit breaker), with zero backoff so nothing waits.
import { ConfigError, NodeUnavailableError, UnknownEffectError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { defineEffect, EffectRegistry } from '../src/saga/effects.js';
import { codeOfSettled } from './error-code.js';

describe('effects', () => {
  it('hands the handler its args and the idempotency key; an unknown name is UnknownEffectError', async () => {
    const registry = new EffectRegistry([
      defineEffect({ name: 'echo', run: (args, ctx) => ({ args, key: ctx.idempotencyKey }) }),
    ]);
    expect(await registry.run('echo', { a: 1 }, 's1:step')).toEqual({ args: { a: 1 }, key: 's1:step' });
    expect(await codeOfSettled(registry.run('nope', {}, 'k'))).toBe(UnknownEffectError.code);
  });

  it('retries a failing handler up to maxAttempts, then rejects with its last error', async () => {
    let calls = 0;
    const flaky = defineEffect({
      name: 'flaky',
      retry: { maxAttempts: 3, backoffMs: 0 },
      run: () => {
        calls++;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
    });
    expect(await new EffectRegistry([flaky]).run('flaky', undefined, 'k')).toBe('ok');
    expect(calls).toBe(3);
    let always = 0;
    const broken = defineEffect({
      name: 'broken',
      retry: { maxAttempts: 2, backoffMs: 0 },
      run: () => {
        always++;
        throw new Error('down');
      },
    });
    await expect(new EffectRegistry([broken]).run('broken', undefined, 'k')).rejects.toThrow('down');
    expect(always).toBe(2);
  });

  it('opens the circuit after N consecutive failures: later runs fail fast with NodeUnavailableError', async () => {
    let calls = 0;
    const registry = new EffectRegistry([
      defineEffect({
        name: 'db',
        circuitBreaker: { failures: 2, halfOpenAfterMs: 60_000 },
        run: () => {
          calls++;
          throw new Error('db down');
        },
      }),
    ]);
    await expect(registry.run('db', undefined, 'k')).rejects.toThrow('db down');
    await expect(registry.run('db', undefined, 'k')).rejects.toThrow('db down');
    expect(await codeOfSettled(registry.run('db', undefined, 'k'))).toBe(NodeUnavailableError.code);
    expect(calls).toBe(2);
  });

  it('defineEffect rejects a bad name, handler or option with ConfigError', () => {
    expect(() => defineEffect({ name: 'a.b', run: () => 1 })).toThrow(ConfigError);
    expect(() => defineEffect({ name: 'a', run: 3 as unknown as () => number })).toThrow(ConfigError);
    expect(() => defineEffect({ name: 'a', run: () => 1, timeoutMs: 0 })).toThrow(ConfigError);
  });
});
