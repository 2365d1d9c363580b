/** Internals for sibling packages and tests; not part of the public API. */
export * from './index.js';
