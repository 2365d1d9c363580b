/**
 * The quick start's function module: pure functions the shards' worker pools run. `lucent-node --functions`
 * imports this file on the main thread (names, `shardBy`, `handles`) and in every worker (the handlers).
 *
 * - `pricePortfolio` (keyed by `account`): a CPU-heavy pure function, a Monte Carlo value of a portfolio
 *   over deterministic random-walk scenarios. Every call for one account lands on the same shard.
 * - `auditOrder` handles the `OrderPlaced` event; each run publishes `auditOrderCompleted`.
 *
 * Results carry `pid`, the serving process: the demo maps it back to the shard that ran the call.
 */
import { defineFunction } from '@lucent/core';

export interface Position {
  readonly symbol: string;
  readonly qty: number;
  readonly price: number;
}

export interface PortfolioInput {
  readonly account: string;
  readonly positions: readonly Position[];
  /** Random-walk scenarios to simulate (CPU cost is linear in it). */
  readonly scenarios: number;
}

export interface PortfolioValue {
  readonly account: string;
  readonly mean: number;
  /** 5th percentile of the simulated values: the loss not exceeded in 95 % of scenarios. */
  readonly p5: number;
  readonly pid: number;
}

/** xorshift32: a deterministic generator, so one input always prices the same (pure functions re-run safely). */
function nextRandom(state: Uint32Array): number {
  let x = state[0] as number;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state[0] = x >>> 0;
  return (state[0] as number) / 0x1_0000_0000;
}

function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0 || 1;
}

export const pricePortfolio = defineFunction(
  { name: 'pricePortfolio', shardBy: 'account', resources: { timeoutMs: 5_000 } },
  (_ctx, input: PortfolioInput): PortfolioValue => {
    const state = new Uint32Array([seedOf(input.account)]);
    const values = new Float64Array(input.scenarios);
    for (let s = 0; s < input.scenarios; s++) {
      let total = 0;
      for (const position of input.positions) {
        // 20 daily steps of ±2 % noise.
        let price = position.price;
        for (let day = 0; day < 20; day++) price *= 1 + (nextRandom(state) - 0.5) * 0.04;
        total += price * position.qty;
      }
      values[s] = total;
    }
    values.sort();
    let sum = 0;
    for (const value of values) sum += value;
    const p5 = values[Math.floor(values.length * 0.05)] ?? 0;
    return { account: input.account, mean: sum / Math.max(1, values.length), p5, pid: process.pid };
  },
);

export interface OrderPlaced {
  readonly orderId: string;
  readonly qty: number;
}

export const auditOrder = defineFunction(
  { name: 'auditOrder', handles: ['OrderPlaced'] },
  (_ctx, order: OrderPlaced) => ({ orderId: order.orderId, audited: true, pid: process.pid }),
);
