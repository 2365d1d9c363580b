// The "Resources" example of the README, run as written (keep the two in sync; the README's fns.js is the
// fixture `readme-resources.mjs`, and its definitions are repeated here typed, as `import` would give them).
import { defineFunction, OverloadedError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createTestCluster } from '../../src/index.js';

const midPrice = defineFunction(
  { name: 'midPrice', resources: { cpu: 'low' } },
  (_ctx, quote: { bid: number; ask: number }) => (quote.bid + quote.ask) / 2,
);
const monthlyReport = defineFunction(
  { name: 'monthlyReport', resources: { memory: '64MB', priority: 'low', maxConcurrency: 2 } },
  (_ctx, input: { rows: number[] }) => input.rows.reduce((sum, row) => sum + row, 0),
);
const liquidate = defineFunction(
  { name: 'liquidate', resources: { priority: 'critical', timeoutMs: 500 } },
  (_ctx, input: { account: string }) => ({ account: input.account, liquidated: true }),
);
const fns = new URL('../fixtures/readme-resources.mjs', import.meta.url);

// --- README start (helper) ---
/** Waits out the node's `retryAfterMs` when its pool queue is full, a few times at most. */
async function callWithBackoff<O>(call: () => Promise<O>, attempts = 3): Promise<O> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!OverloadedError.is(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, error.details.retryAfterMs));
    }
  }
}
// --- README end ---

describe('README: resources example', () => {
  it('runs as documented', async () => {
    const cluster = await createTestCluster({ nodes: 1, transport: 'memory', functions: [fns], threads: 1 });
    try {
      // --- README start ---
      const mid = await cluster.client.call(midPrice, { bid: 99.5, ask: 100.5 }); // 100, on the node's main thread
      const total = await callWithBackoff(() => cluster.client.call(monthlyReport, { rows: [1, 2, 3] })); // 6
      const done = await cluster.client.call(liquidate, { account: 'acct-1' }); // { account: 'acct-1', liquidated: true }
      // --- README end ---
      expect(mid).toBe(100);
      expect(total).toBe(6);
      expect(done).toEqual({ account: 'acct-1', liquidated: true });
      // midPrice ran inline: the node's counter of main-thread runs says so.
      const metrics = await cluster.nodes[0]!.shard.node.metrics.text();
      expect(metrics).toMatch(/^lucent_pool_inline_calls_total\{[^}]*\} 1$/m);
    } finally {
      await cluster.close();
    }
  }, 60_000);

  it('callWithBackoff waits out retryAfterMs on OverloadedError and gives up after its attempts', async () => {
    const overloaded = new OverloadedError({ target: 'monthlyReport', reason: 'queue full', retryAfterMs: 5 });
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw overloaded;
      return 'ran';
    };
    await expect(callWithBackoff(flaky)).resolves.toBe('ran');
    calls = -10;
    await expect(callWithBackoff(flaky)).rejects.toBe(overloaded);
  });
});
