#!/usr/bin/env node
/**
 * `lucent`: the admin CLI (`nodes`, `ring`, `call`, `ask`, `emit`, `events dlq`), connected like a client.
 * Commands, options, environment variables and exit codes: `lucent --help` and `admin/admin-program.ts`.
 */
import { runAdmin } from './admin/admin-program.js';

runAdmin(process.argv.slice(2), {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lucent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
