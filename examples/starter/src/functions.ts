/**
 * Function module: pure functions the nodes' worker pools run. `lucent-node --functions dist/functions.js` loads
 * it on the node's main thread (names, `shardBy`) and in every worker (the handlers).
 */
import { defineFunction } from '@lucent/core';

export interface QuoteInput {
  readonly sku: string;
  readonly qty: number;
}

/** Price of `qty` items of `sku`; keyed by `sku`, so one sku is always priced on the same node. */
export const quote = defineFunction({ name: 'quote', shardBy: 'sku' }, (_ctx, input: QuoteInput) => {
  const unit = 100 + (input.sku.length % 7) * 10;
  return { sku: input.sku, total: unit * input.qty, pid: process.pid };
});
