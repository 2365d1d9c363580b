// Functions for the cluster tests (cluster*.test.ts): one keyed on `key`, one that sleeps.
import { defineFunction } from '@lucent/core';

/** Keyed on `key`: served by the ring owner of the key. Echoes the key. */
export const echoKey = defineFunction({ name: 'echoKey', shardBy: 'key' }, (_ctx, input) => input.key);

/** Keyed on `key`; resolves with `input.key` after `input.ms` ms without blocking the worker. */
export const slowKey = defineFunction(
  { name: 'slowKey', shardBy: 'key', resources: { timeoutMs: 0 } },
  (_ctx, input) => new Promise((resolve) => setTimeout(() => resolve(input.key), input.ms)),
);
