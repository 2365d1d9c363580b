/**
 * The `lucent` admin CLI as integration tests run it: a child process (through {@link startNodeProcess}, so it is
 * stopped by pid and reaped if the test dies) with the cluster's settings in its environment.
 *
 * ```
 * const cli = new LucentCli({ LUCENT_NATS: url, LUCENT_CLUSTER: 'c' });
 * await cli.run('nodes');                    // { code, stdout, stderr }; never rejects on a non-zero exit
 * await cli.json<Row[]>('actors', 'counter'); // `--json` added, parsed; rejects unless exit 0 with empty stderr
 * const watch = cli.start('watch', 'A.>');   // a long-running command: a NodeProcess
 * ```
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, TimeoutError } from '@lucent/core/internal';
import { NATS_AUTH_ENV, type NatsAuth } from '../transport/nats-auth.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';

/** The installed `lucent` command of this package (`bin/lucent.js`, which runs the built `dist/admin-cli.js`). */
export const LUCENT_CLI: string = fileURLToPath(new URL('../../bin/lucent.js', import.meta.url));

/** How long {@link LucentCli.run} lets one command run before it kills it. */
export const CLI_TIMEOUT_MS = 20_000;

/** How one command ended. `code` is -1 when a signal ended it. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The `LUCENT_*` variables of a cluster: the NATS url, the cluster name and (optionally) the heartbeat. */
export function clusterEnv(natsUrl: string, cluster: string, heartbeatMs?: number): Record<string, string> {
  return {
    LUCENT_NATS: natsUrl,
    LUCENT_CLUSTER: cluster,
    ...(heartbeatMs === undefined ? {} : { LUCENT_HEARTBEAT_INTERVAL_MS: String(heartbeatMs) }),
  };
}

/** `auth` as the `LUCENT_NATS_*` variables a node or the CLI reads its credentials from. */
export function natsAuthEnv(auth: NatsAuth): Record<string, string> {
  return Object.fromEntries(
    Object.entries(auth).map(([key, value]) => [NATS_AUTH_ENV[key as keyof NatsAuth], String(value)]),
  );
}

/** See the module doc. The parent's own `LUCENT_*` variables never reach the commands. */
export class LucentCli {
  readonly #env: Readonly<Record<string, string>>;

  constructor(env: Readonly<Record<string, string>>) {
    this.#env = env;
  }

  /** The same CLI with `env` added (credentials, another cluster). */
  withEnv(env: Readonly<Record<string, string>>): LucentCli {
    return new LucentCli({ ...this.#env, ...env });
  }

  /** Starts `lucent <args>` without waiting (watch, dashboard): stop it with `stop()` or `kill()`. */
  start(...args: string[]): NodeProcess {
    return startNodeProcess({ script: LUCENT_CLI, args, env: { ...this.#env }, name: `lucent ${args[0] ?? ''}` });
  }

  /**
   * Runs `lucent <args>` to its end. Resolves with its exit code and output whatever the code; rejects with
   * `TimeoutError` (after killing it) when it runs past {@link CLI_TIMEOUT_MS}.
   */
  async run(...args: string[]): Promise<CliResult> {
    const command = this.start(...args);
    try {
      const exit = await command.exit(CLI_TIMEOUT_MS);
      return { code: exit.code ?? -1, stdout: command.stdout, stderr: command.stderr };
    } catch (error) {
      if (TimeoutError.is(error)) command.kill();
      throw error;
    }
  }

  /**
   * Runs `lucent <args> --json` and parses its output. Rejects with `ConfigError` (carrying the code and the
   * output) unless the command exits 0 with nothing on stderr.
   */
  async json<T>(...args: string[]): Promise<T> {
    const result = await this.run(...args, '--json');
    if (result.code !== 0 || result.stderr !== '') {
      const reason = `lucent ${args.join(' ')} --json exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
      throw new ConfigError({ subject: 'lucent CLI harness', field: 'exit', reason });
    }
    return JSON.parse(result.stdout) as T;
  }
}
