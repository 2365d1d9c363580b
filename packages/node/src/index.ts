/**
 * @lucent/node: everything that does I/O. So far: the transport (NATS and in-memory, with coalescing) and the
 * piscina function pool. The shard process, membership, client and CLI build on these.
 */
export * from './pool/function-pool.js';
export * from './transport/in-memory-bus.js';
export * from './transport/in-memory-transport.js';
export * from './transport/nats-transport.js';
export * from './transport/subjects.js';
export * from './transport/transport.js';
