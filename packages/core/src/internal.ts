/** Internals for sibling packages and tests; not part of the public API (blocked for users by `exports`). */
export * from './envelope-check.js';
export * from './index.js';
export * from './placement/subject-cache.js';
