#!/usr/bin/env node
// The installed `lucent-node` command. A committed file rather than `dist/cli.js` itself, so that `pnpm install`
// in a fresh clone can link the bin before anything is built (the CLI is `dist/cli.js`, made by `pnpm build`).
import '../dist/cli.js';
