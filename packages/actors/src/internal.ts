/**
 * Internals for sibling packages and tests; not part of the public API (blocked for users by `exports`).
 * Everything the public entry exports, plus the kernel's parts and the function actor host.
 */
export * from './actor-cell.js';
export * from './actor-system.js';
export * from './backoff.js';
export * from './cell-runtime.js';
export * from './current-ask.js';
export * from './dead-letters.js';
export * from './dispatcher.js';
export * from './function-actor/activation-guard.js';
export * from './function-actor/activator.js';
export * from './function-actor/actor-inspection.js';
export * from './function-actor/actor-subscriptions.js';
export * from './function-actor/dedup-window.js';
export * from './function-actor/define-actor.js';
export * from './function-actor/delayed-events.js';
export * from './function-actor/function-actor.js';
export * from './function-actor/group-commit.js';
export * from './function-actor/lifecycle.js';
export * from './function-actor/mailbox-admission.js';
export * from './function-actor/message-check.js';
export * from './function-actor/persistence.js';
export * from './function-actor/reminders.js';
export * from './function-actor/snapshot-version.js';
export * from './function-actor/xstate-actor.js';
export * from './index.js';
export * from './mailbox.js';
export * from './memory-state-store.js';
export * from './pending-ask.js';
export * from './ring-queue.js';
export * from './saga/define-saga.js';
export * from './saga/saga-machine.js';
export * from './saga/saga-plan.js';
export * from './saga/saga-state.js';
export * from './state-store.js';
export * from './supervision.js';
export * from './testkit.js';
export * from './timers.js';
export * from './types.js';
