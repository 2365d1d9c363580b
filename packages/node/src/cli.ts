#!/usr/bin/env node
/**
 * `lucent-node`: runs one shard node until SIGTERM/SIGINT. Options, environment variables and exit codes are
 * listed by `lucent-node --help` (see `config/node-config.ts` and `config/load-config.ts`):
 *
 * ```
 *  0    graceful shutdown finished (SIGTERM/SIGINT, or `lucent drain`), --help or --version
 *  1    startup failed (NATS unreachable past --nats-connect-timeout-ms, HTTP port in use, a module that does not
 *       load on this thread or in a pool worker); logged (node.start_failed)
 *  2    invalid command line or configuration; one line on stderr naming the option
 *  3    fatal stop: the function pool kept dying past its restart budget; the node left the cluster through
 *       the graceful shutdown and logged `node.fatal` with the reason (an orchestrator should restart it)
 *  130  a second signal arrived during the graceful shutdown
 * ```
 * The node logs on stdout (`--log-format`: JSON lines, or pino-pretty on a TTY); `node.ready` (with `shard`,
 * `httpPort`, `transport`) says it is serving,
 * after it joined the cluster's membership (`membership.joined`). Wiring: `shard/start-shard-node.ts`.
 */
import { ConfigError } from '@lucent/core/internal';
import { CommanderError } from 'commander';
import { loadNodeConfig } from './config/load-config.js';
import type { NodeConfig } from './config/node-config.js';
import { createNodeLogger } from './logging.js';
import { handleShutdownSignals } from './shard/shutdown-signals.js';
import { startShardNode } from './shard/start-shard-node.js';

/** Exit code for an invalid command line or configuration. */
const EXIT_USAGE = 2;
/** Exit code after a fatal stop (`node.fatal`: the pool could not be kept alive). */
const EXIT_FATAL = 3;

/** `lucent-node: <message>`, without a second `lucent-node` where the message already names it. */
function usageLine(message: string): string {
  return `lucent-node: ${message.replace(/^lucent-node /, '')}`;
}

async function main(): Promise<number | undefined> {
  let config: NodeConfig;
  try {
    config = await loadNodeConfig({
      args: process.argv.slice(2),
      env: process.env,
      output: { writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) },
    });
  } catch (error) {
    // Commander has already written its message (or the help text).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (ConfigError.is(error)) {
      process.stderr.write(`${usageLine(error.message)}\n(run lucent-node --help for every option)\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const logger = createNodeLogger({ nodeId: config.shard, level: config.logLevel, format: config.logFormat });
  const fatal = (error: unknown): void => {
    logger.fatal({ err: error }, 'node.crashed');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // The node as composed for a cluster: router, membership (ready only once joined), KV state on NATS.
  // A failed start is logged (`node.start_failed`) and closes what it had opened.
  // A fatal stop has already left the cluster and shut the node down when this runs.
  const onFatalStop = (): void => process.exit(EXIT_FATAL);
  // A signal during start-up stops the NATS connect retries (which may be unbounded) rather than wait for them.
  const startAbort = new AbortController();
  // `lucent drain <node>` shut the node down from its admin subject: exit as after SIGTERM.
  const onDrained = (): void => process.exit(0);
  const starting = startShardNode({ config, logger, onFatalStop, onDrained, startSignal: startAbort.signal }).then(
    (shard) => shard.node,
    () => undefined,
  );
  // Installed before start resolves: `node.ready` is logged inside start, and a signal right after it (or during
  // startup) must still shut down gracefully rather than kill the process.
  const target = {
    shutdown: async (reason: string): Promise<void> => {
      startAbort.abort();
      const node = await starting;
      await node?.shutdown(reason);
    },
  };
  handleShutdownSignals({ node: target, logger, exit: (code) => process.exit(code) });
  return (await starting) === undefined ? 1 : undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lucent-node: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
