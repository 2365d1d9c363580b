/** Internals for sibling packages, tests and benches; not part of the public API (blocked for users by `exports`). */
export * from './index.js';
export * from './testing/nats-server.js';
export * from './transport/framed-transport.js';
export * from './transport/frames.js';
export * from './transport/outbound-queue.js';
export * from './transport/pending-requests.js';
