import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Tests run against the TypeScript sources of sibling packages, so no build is needed between an edit and a test
// run. Integration tests that start `lucent-node` processes use the built `dist` and say so.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@lucent\/core\/internal$/, replacement: src('core/src/internal.ts') },
      { find: /^@lucent\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@lucent\/actors\/internal$/, replacement: src('actors/src/internal.ts') },
      { find: /^@lucent\/actors$/, replacement: src('actors/src/index.ts') },
      { find: /^@lucent\/node\/internal$/, replacement: src('node/src/internal.ts') },
      { find: /^@lucent\/node$/, replacement: src('node/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Under CI the JSON results feed the "N passed, N failed" line that .ci/run prints last.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
