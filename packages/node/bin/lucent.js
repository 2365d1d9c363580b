#!/usr/bin/env node
// The installed `lucent` admin command. A committed file rather than `dist/admin-cli.js` itself, so that
// `pnpm install` in a fresh clone can link the bin before anything is built (`pnpm build` makes dist/).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/admin-cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('lucent: @lucent/node is not built yet: run `pnpm build` at the root of the clone\n');
  process.exit(1);
}
await import(cli.href);
