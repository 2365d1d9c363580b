#!/usr/bin/env node
// The installed `lucent-node` command. A committed file rather than `dist/cli.js` itself, so that `pnpm install`
// in a fresh clone can link the bin before anything is built (the CLI is `dist/cli.js`, made by `pnpm build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('lucent-node: @lucent/node is not built yet: run `pnpm build` at the root of the clone\n');
  process.exit(1);
}
await import(cli.href);
