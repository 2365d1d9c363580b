/**
 * What a pool worker thread needs of core, for sibling packages (blocked for users by `exports` like
 * `./internal`): the function registry it loads modules into and the context its calls run with, without the
 * wire (codec and msgpackr, envelopes), the ring or routing. Every worker imports this when it starts, so its size
 * is paid per worker start, a hot swap's new workers included: about a third of what `./internal` costs to load.
 */
export type { FunctionContext, FunctionDefinition } from './definition.js';
export { toLucentError, type WireError } from './errors.js';
export { CallContext, type LogThreshold, NO_METADATA, NO_SHARD, type ShardInfo } from './function-context.js';
export { createRegistry, type FunctionRegistry } from './registry.js';
