import { batchEnvelope, createRegistry, defineFunction, RoutingError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { runBatch } from '../src/router/batch-runner.js';
import { createInlineRunner } from '../src/router/function-runner.js';

const half = defineFunction({ name: 'half' }, (_ctx, n: number) => {
  if (n % 2 !== 0) throw new RangeError(`odd ${n}`);
  return n / 2;
});
const runner = createInlineRunner(createRegistry([half]));

describe('runBatch', () => {
  it('answers every input in order, failing only the inputs that threw', async () => {
    const outcome = await runBatch(runner, batchEnvelope('half', [4, 3, 8]), {});
    expect(outcome.values).toEqual([2, undefined, 4]);
    expect(outcome.errors?.map((e) => e?.code ?? null)).toEqual([null, 'LUCENT_HANDLER', null]);
  });

  it('has no error list when every input succeeded', async () => {
    expect(await runBatch(runner, batchEnvelope('half', [2, 6]), {})).toEqual({ values: [1, 3], errors: null });
  });

  it('refuses a payload that is not an array with RoutingError', async () => {
    await expect(runBatch(runner, batchEnvelope('half', 5 as unknown as unknown[]), {})).rejects.toSatisfy((e) =>
      RoutingError.is(e),
    );
  });
});
