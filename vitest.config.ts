import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/**
 * Two tiers in one run (so CI's JSON results count both):
 *
 * - `unit`: fast and deterministic. In-memory transport, simulated clock; no `dist/`, no nats-server, no child
 *   processes, no worker threads loading the compiled pool worker. `pnpm test:unit`.
 * - `integration`: `packages/<name>/test/integration/` and the examples' tests: real nats-server and `lucent-node`
 *   processes, the piscina pool (its worker is the compiled `dist/pool/worker.js`), the built demos.
 *   `pnpm test:integration` (builds first).
 *
 * Tests run against the TypeScript sources of sibling packages (the aliases below), so no build is needed between
 * an edit and a unit test run.
 */
const INTEGRATION = ['packages/*/test/integration/**/*.test.ts', 'examples/**/*.test.ts'];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@lucent\/core\/worker$/, replacement: src('core/src/worker.ts') },
      { find: /^@lucent\/core\/internal$/, replacement: src('core/src/internal.ts') },
      { find: /^@lucent\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@lucent\/actors\/internal$/, replacement: src('actors/src/internal.ts') },
      { find: /^@lucent\/actors$/, replacement: src('actors/src/index.ts') },
      { find: /^@lucent\/node\/internal$/, replacement: src('node/src/internal.ts') },
      { find: /^@lucent\/node$/, replacement: src('node/src/index.ts') },
    ],
  },
  test: {
    // Under CI the JSON results (both tiers) feed the "N passed, N failed" line that .ci/run prints last.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: [...INTEGRATION, '**/node_modules/**'],
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
