/** The StateStore contract against the in-memory twin; the KV store runs the same suite in integration/. */
import { MemoryStateStore } from '@lucent/actors/internal';
import { describeStateStoreContract } from './state-store-contract.js';

describeStateStoreContract('MemoryStateStore', {
  makeStore: async () => new MemoryStateStore(),
  propertyRuns: 100,
});
