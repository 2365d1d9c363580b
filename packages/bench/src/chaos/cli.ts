#!/usr/bin/env node
/**
 * `pnpm chaos [options]` (see `--help`): runs {@link runChaos}, prints progress, the summary table and one JSON
 * line. Exit code 0 when every count that must be 0 is 0, 1 when one is not, 2 for bad options.
 */
import { ConfigError } from '@lucent/core/internal';
import { CHAOS_HELP, HELP_REQUESTED, parseChaosOptions } from './chaos-options.js';
import { chaosJsonLine, chaosTable } from './chaos-report.js';
import { runChaos } from './chaos-run.js';

const out = (text: string) => process.stdout.write(`${text}\n`);

let options: ReturnType<typeof parseChaosOptions>;
try {
  options = parseChaosOptions(process.argv.slice(2));
} catch (error) {
  if (!ConfigError.is(error)) throw error;
  process.stderr.write(`${(error as Error).message}\n\n${CHAOS_HELP}\n`);
  process.exit(2);
}
if (options === HELP_REQUESTED) {
  out(CHAOS_HELP);
  process.exit(0);
}
const result = await runChaos(options, (line) => out(`[chaos] ${line}`));
out('');
out(chaosTable(result));
out(chaosJsonLine(result));
process.exit(result.violations.length === 0 ? 0 : 1);
