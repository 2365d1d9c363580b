/**
 * @lucent/core: the pure foundation every message passes through. No sockets, workers or files; time only through
 * the injected `Clock`.
 *
 * - errors: `LucentError` and its classes with stable `code`s, and their wire form
 * - definitions: `defineFunction`, the decorators, resources, the function registry
 * - envelope and codec: one envelope type for every message, msgpack with a fixed shared header structure
 * - clock: the `Clock` port (monotonic `now`, wall `wallNow`, timers), `systemClock`, `SimulatedClock`
 * - placement: where a message goes (`placeFunction`, `placeActor`), actor keys, subject names, the hash ring,
 *   the cluster view, routing strategies (`routing.hash(...)`, ...), load scoring
 */
export * from './clock.js';
export * from './cluster-view.js';
export * from './codec.js';
export * from './decorators.js';
export * from './definition.js';
export * from './envelope.js';
export * from './errors.js';
export * from './hash.js';
export * from './hash-ring.js';
export { checkInput, type InputSchema, isInputSchema, type SchemaOutput } from './input-schema.js';
export * from './placement/actor-key.js';
export * from './placement/place.js';
export * from './placement/placement.js';
export * from './placement/shard-key.js';
export * from './placement/subjects.js';
export * from './placement/view-source.js';
export * from './registry.js';
export * from './resources.js';
export type { AnyRoutingStrategy, RoutingStrategy } from './routing/strategy.js';
export * as routing from './routing/strategy.js';
export * from './scoring.js';
