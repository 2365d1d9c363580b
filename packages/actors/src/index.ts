export { type Clock, SimulatedClock, systemClock, type TimerHandle } from '@lucent/core/internal';
export * from './actor-system.js';
export * from './function-actor/activation-guard.js';
export * from './function-actor/activator.js';
export {
  DEDUP_FIELD,
  DEFAULT_DEDUP_CAPACITY,
  DedupWindow,
  IdentifiedEvent,
  splitDedupWindow,
  withDedupWindow,
} from './function-actor/dedup-window.js';
export * from './function-actor/define-actor.js';
export * from './function-actor/lifecycle.js';
export * from './memory-state-store.js';
export * from './state-store.js';
export * from './testkit.js';
export * from './types.js';
