/**
 * Internals for sibling packages and tests; not part of the public API (blocked for users by `exports`).
 * Everything the public entry exports, plus the wire (envelopes, codec, subjects), the ring, routing strategies
 * and load scoring.
 */
export * from './clock.js';
export * from './cluster-view.js';
export * from './codec.js';
export * from './decorators.js';
export * from './definition.js';
export * from './degradation.js';
export * from './envelope.js';
export * from './envelope-check.js';
export * from './errors.js';
export * from './function-context.js';
export * from './hash.js';
export * from './hash-ring.js';
export * from './input-schema.js';
export * from './linked-list.js';
export * from './load-report.js';
export * from './placement/actor-key.js';
export * from './placement/event-type-name.js';
export * from './placement/function-hosts.js';
export * from './placement/host-rings.js';
export * from './placement/named-call.js';
export * from './placement/place.js';
export * from './placement/placement.js';
export * from './placement/placement-tag.js';
export * from './placement/retry-placement.js';
export * from './placement/shard-key.js';
export * from './placement/subject-cache.js';
export * from './placement/subjects.js';
export * from './placement/view-source.js';
export * from './rebalance.js';
export * from './registry.js';
export * from './reminders/due-heap.js';
export * from './reminders/due-window.js';
export * from './reminders/reminder-schedule.js';
export * from './resources.js';
export * from './result-events.js';
export * from './retry-decision.js';
// The strategies' names (`hash`, `range`, …) are generic: tsc reports a clash of two `export *` here (TS2308).
export * from './routing/strategy.js';
export * from './schedule/event-filter.js';
export * from './schedule/firing-plan.js';
export * from './schedule/schedule-spec.js';
export * from './scoring.js';
