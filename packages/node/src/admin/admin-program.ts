/**
 * The `lucent` admin CLI's commands (commander), run against a cluster the way a client connects: `--nats`,
 * `--cluster` (or `LUCENT_NATS`, `LUCENT_CLUSTER`, the node's variables). Every command opens one
 * {@link connectCluster} (a membership observer: it never joins the ring), does its work and closes it.
 *
 * ```
 *  lucent nodes                         live members from membership (heartbeats): id, tags, uptime, load
 *  lucent ring --key <k>                the node owning ring key k (type/id of an actor, a shard key value)
 *  lucent call <fn> '<json>'            a function call
 *  lucent ask <type> <id> '<json>'      an actor ask (event as JSON)
 *  lucent emit <type> '<json>'          a durable event; prints its id once stored
 *  lucent events dlq list|replay <id>|purge
 *  lucent status | actors | actor | watch  (inspect-commands.ts: through each node's admin subject)
 *  lucent drain <node>                  the node leaves, hands its actors off with their state, exits (drain-command.ts)
 *  lucent deploy | functions | enable | disable | weight | rollback   the deployed registry (registry-commands.ts)
 * ```
 * Exit codes: see {@link AdminExit}. What is printed is built by the pure `admin-format.ts`.
 */
import { type Clock, ConfigError, DEFAULT_CLUSTER, NodeUnavailableError, systemClock } from '@lucent/core/internal';
import { Command, CommanderError, Option } from 'commander';
import { type ClusterClient, connectCluster } from '../client/cluster-client.js';
import { DEFAULT_SERVERS } from '../client/lucent-client.js';
import { nodePackageVersion } from '../config/load-config.js';
import { keepProcessAlive } from '../keep-alive.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../membership/membership-options.js';
import {
  deadLetterRows,
  deadLettersTable,
  errorLine,
  jsonText,
  nodeRows,
  nodesTable,
  ringAnswer,
  ringLine,
} from './admin-format.js';
import { addDashboardCommand } from './dashboard-command.js';
import { addDrainCommand } from './drain-command.js';
import { addInspectCommands } from './inspect-commands.js';
import { addNatsAuthOptions, natsAuthFromOptions } from './nats-auth-options.js';
import { addRegistryCommands, deployArgs } from './registry-commands.js';

/** Exit codes of `lucent`. */
export const AdminExit = {
  Ok: 0,
  /** The command failed: the error's code and message are on stderr (e.g. `LUCENT_UNKNOWN_FUNCTION`). */
  Failed: 1,
  /** Invalid command line or argument (unknown option, JSON that does not parse). */
  Usage: 2,
  /** No NATS server accepted the connection (`LUCENT_NODE_UNAVAILABLE` while connecting). */
  Unreachable: 3,
} as const;

/** Where the CLI writes; the bin passes the process streams, tests may collect strings. */
export interface AdminIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** Time source of the waits and of `lucent nodes`' uptimes; default `systemClock`. */
  readonly clock?: Clock;
}

/** Default `--wait-ms`: how long `nodes`, `ring` and `ask` wait for the nodes' heartbeats. */
export const DEFAULT_ADMIN_WAIT_MS = 2000;
/**
 * Added to the heartbeat period for the settle window: once a member is seen, membership is considered complete
 * after a heartbeat period plus this long without a change (every live node has heartbeated in that window).
 */
const SETTLE_MARGIN_MS = 100;

/** The options every command shares (global options of the program). */
interface GlobalOptions {
  readonly nats?: string;
  readonly cluster?: string;
  readonly json?: boolean;
  readonly timeoutMs?: string;
  readonly waitMs?: string;
  readonly heartbeatIntervalMs?: string;
}

/** A `ConfigError` from an argument of the command line: reported as a usage error (exit 2). */
class UsageError extends Error {}

function positiveNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, got '${raw}'`);
  return value;
}

function parseJsonArgument(raw: string | undefined, what: string): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON (${(error as Error).message}): ${raw}`);
  }
}

/** Runs the command line `args` (without `node` and the script); resolves with the exit code. */
export async function runAdmin(args: readonly string[], io: AdminIo): Promise<number> {
  let exit: number = AdminExit.Ok;
  const program = buildAdminProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(deployArgs(args), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? AdminExit.Ok : AdminExit.Usage;
    if (error instanceof UsageError) {
      io.writeErr(`lucent: ${error.message}\n`);
      return AdminExit.Usage;
    }
    io.writeErr(`${errorLine(error)}\n`);
    return AdminExit.Failed;
  }
  return exit;
}

/**
 * The commander program of `lucent`. Actions report their exit code through `setExit`; usage errors throw
 * (`CommanderError`, or an internal usage error for a bad argument) to {@link runAdmin}.
 */
export function buildAdminProgram(io: AdminIo, setExit: (code: number) => void): Command {
  const clock = io.clock ?? systemClock;
  const program = new Command('lucent')
    .description('Lucent admin CLI: look at a running cluster and call into it, connected like a client.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.writeOut(text), writeErr: (text) => io.writeErr(text) })
    .showHelpAfterError('(run lucent --help for every command and option)')
    .addOption(new Option('--nats <urls>', 'NATS servers, comma-separated').env('LUCENT_NATS').default(DEFAULT_SERVERS))
    .addOption(new Option('--cluster <name>', 'cluster name (default: the nodes’ default)').env('LUCENT_CLUSTER'))
    .addOption(new Option('--json', 'print JSON instead of tables and text'))
    .addOption(
      new Option('--timeout-ms <ms>', 'how long call, ask, emit and drain wait (default: the client’s; drain 120 s)'),
    )
    .addOption(
      new Option('--wait-ms <ms>', 'how long nodes, ring and ask wait for the nodes’ heartbeats').default(
        String(DEFAULT_ADMIN_WAIT_MS),
      ),
    )
    .addOption(
      new Option('--heartbeat-interval-ms <ms>', 'the nodes’ heartbeat period (sets when a silent node is dead)').env(
        'LUCENT_HEARTBEAT_INTERVAL_MS',
      ),
    )
    .version(nodePackageVersion(), '-V, --version', 'print the version of @lucent/node and exit')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lucent nodes --nats nats://10.0.0.5:4222 --cluster prod\n' +
        '  lucent ring --key counter/c1\n' +
        '  lucent call add \'{"a":1,"b":2}\'\n' +
        '  lucent ask counter c1 \'{"type":"inc"}\'\n' +
        '  lucent emit OrderPlaced \'{"orderId":"o1"}\'\n' +
        '  lucent events dlq list --json\n' +
        '  lucent status\n' +
        '  lucent actors counter --node n1\n' +
        '  lucent actor counter c1\n' +
        '  lucent actor counter c1 pause\n' +
        "  lucent watch 'orders.>' --count 10\n" +
        '  lucent dashboard --port 7070\n' +
        '  lucent drain n3\n' +
        '  lucent deploy ./quote.ts --version 2 --weight 10\n' +
        '  lucent disable quote@2 --tags eu\n' +
        '\nExit codes: 0 done (also --help, --version); 1 the command failed, its error code and message on stderr ' +
        '(e.g. "lucent: LUCENT_UNKNOWN_FUNCTION: ..."); 2 invalid command line or JSON argument; 3 no NATS server ' +
        'accepted the connection.',
    );

  addNatsAuthOptions(program);
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
  const print = (text: string): void => io.writeOut(text.endsWith('\n') ? text : `${text}\n`);
  const requestOptions = (options: GlobalOptions): { timeoutMs?: number } => {
    const timeoutMs = positiveNumber(options.timeoutMs, '--timeout-ms');
    return timeoutMs === undefined ? {} : { timeoutMs };
  };

  /** Connects per the global options, runs `work`, closes; maps the outcome to an exit code. */
  const withCluster = async (command: Command, work: (cluster: ClusterClient) => Promise<void>): Promise<void> => {
    const options = globals(command);
    const heartbeatIntervalMs = positiveNumber(options.heartbeatIntervalMs, '--heartbeat-interval-ms');
    positiveNumber(options.timeoutMs, '--timeout-ms');
    positiveNumber(options.waitMs, '--wait-ms');
    let cluster: ClusterClient;
    try {
      cluster = await connectCluster({
        servers: options.nats ?? DEFAULT_SERVERS,
        auth: natsAuthFromOptions(options as unknown as Record<string, unknown>),
        ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
        ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
        name: 'lucent-admin',
        clock,
      });
    } catch (error) {
      io.writeErr(`${errorLine(error)}\n`);
      setExit(
        ConfigError.is(error)
          ? AdminExit.Usage
          : NodeUnavailableError.is(error)
            ? AdminExit.Unreachable
            : AdminExit.Failed,
      );
      return;
    }
    try {
      // Exit stays Ok unless the work reported a failure itself (e.g. `ring` with no owner).
      await work(cluster);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      io.writeErr(`${errorLine(error)}\n`);
      setExit(AdminExit.Failed);
    } finally {
      await cluster.close();
    }
  };

  /**
   * Waits (bounded by `--wait-ms`) for a first member, then until membership has not changed for a heartbeat
   * period (plus a margin): every live node has heartbeated by then.
   */
  const settledMembers = async (command: Command, cluster: ClusterClient): Promise<void> => {
    const waitMs = positiveNumber(globals(command).waitMs, '--wait-ms') ?? DEFAULT_ADMIN_WAIT_MS;
    const deadline = clock.now() + waitMs;
    const heartbeatMs =
      positiveNumber(globals(command).heartbeatIntervalMs, '--heartbeat-interval-ms') ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const settleMs = heartbeatMs + SETTLE_MARGIN_MS;
    try {
      await cluster.waitForMembers(1, waitMs);
    } catch {
      return; // None within --wait-ms: the commands report an empty cluster.
    }
    let lastChange = clock.now();
    const remove = cluster.membership.onEvent(() => {
      lastChange = clock.now();
    });
    try {
      while (clock.now() < deadline && clock.now() - lastChange < settleMs) {
        await new Promise<void>((resolve) => keepProcessAlive(clock.setTimeout(resolve, 50)));
      }
    } finally {
      remove();
    }
  };

  program
    .command('nodes')
    .description('list the live nodes (membership): id, tags, uptime, load, incarnation')
    .action(async (_options: unknown, command: Command) => {
      await withCluster(command, async (cluster) => {
        await settledMembers(command, cluster);
        const rows = nodeRows(cluster.membership.members, cluster.view, clock.wallNow());
        print(globals(command).json === true ? jsonText(rows, true) : nodesTable(rows));
      });
    });

  program
    .command('ring')
    .description('which node owns a key: an actor’s type/id, or a keyed function’s shard key value')
    .requiredOption('--key <key>', 'the ring key, e.g. counter/c1 or the value of a function’s shardBy field')
    .action(async (options: { key: string }, command: Command) => {
      await withCluster(command, async (cluster) => {
        await settledMembers(command, cluster);
        const answer = ringAnswer(options.key, cluster.view);
        print(globals(command).json === true ? jsonText(answer, true) : ringLine(answer));
        if (answer.owner === undefined) setExit(AdminExit.Failed);
      });
    });

  program
    .command('call')
    .description('call a function with a JSON input and print its result')
    .argument('<fn>', 'function name')
    .argument('[input]', 'input as JSON (default null)')
    .action(async (fn: string, input: string | undefined, _options: unknown, command: Command) => {
      const value = parseJsonArgument(input, 'input') ?? null;
      const options = globals(command);
      const request = requestOptions(options);
      await withCluster(command, async (cluster) => {
        // By name: sent to the function's queue group (a keyed function is forwarded to its owner by the node).
        print(jsonText(await cluster.client.call(fn, value, request), options.json === true));
      });
    });

  program
    .command('ask')
    .description('send an event (JSON) to an actor and print its reply')
    .argument('<type>', 'actor type')
    .argument('<id>', 'actor id')
    .argument('<event>', 'the event as JSON, e.g. {"type":"inc"}')
    .action(async (type: string, id: string, event: string, _options: unknown, command: Command) => {
      const value = parseJsonArgument(event, 'event');
      const options = globals(command);
      const request = requestOptions(options);
      await withCluster(command, async (cluster) => {
        await settledMembers(command, cluster);
        print(jsonText(await cluster.client.actor(type, id).ask(value, request), options.json === true));
      });
    });

  program
    .command('emit')
    .description('emit a durable event; prints its id once it is stored')
    .argument('<type>', 'event type')
    .argument('[data]', 'event data as JSON (default null)')
    .action(async (type: string, data: string | undefined, _options: unknown, command: Command) => {
      const value = parseJsonArgument(data, 'data') ?? null;
      const options = globals(command);
      const request = requestOptions(options);
      await withCluster(command, async (cluster) => {
        const id = await cluster.client.emit(type, value, request);
        print(options.json === true ? jsonText({ id }, true) : id);
      });
    });

  const events = program.command('events').description('durable events administration');
  const kit = {
    clock,
    withCluster,
    settledMembers,
    print,
    json: (command: Command) => globals(command).json === true,
    cluster: (command: Command) => globals(command).cluster ?? DEFAULT_CLUSTER,
    usage: (message: string) => new UsageError(message),
    fail: () => setExit(AdminExit.Failed),
  };
  addInspectCommands(program, kit);
  addDashboardCommand(program, kit);
  addDrainCommand(program, kit);
  const dlq = events.command('dlq').description('dead letters: events whose handler failed every delivery');
  dlq
    .command('list')
    .description('list the dead letters, oldest first')
    .option('--limit <n>', 'most records listed', '1000')
    .option('--consumer <name>', 'only those of this consumer (<fn>--<type>)')
    .action(async (local: { limit: string; consumer?: string }, command: Command) => {
      const limit = positiveNumber(local.limit, '--limit') ?? 1000;
      await withCluster(command, async (cluster) => {
        const letters = await cluster.client.events.deadLetters.list({
          limit,
          ...(local.consumer === undefined ? {} : { consumer: local.consumer }),
        });
        const rows = deadLetterRows(letters);
        print(globals(command).json === true ? jsonText(rows, true) : deadLettersTable(rows));
      });
    });
  dlq
    .command('replay')
    .description('publish a dead letter’s event again for its handler, then delete the dead letter')
    .argument('<id>', 'the dead letter id (from list)')
    .action(async (raw: string, _options: unknown, command: Command) => {
      const id = Number(raw);
      if (!Number.isSafeInteger(id) || id <= 0)
        throw new UsageError(`dead letter id must be a positive integer, got '${raw}'`);
      await withCluster(command, async (cluster) => {
        await cluster.client.events.deadLetters.replay(id);
        print(globals(command).json === true ? jsonText({ replayed: id }, true) : `replayed dead letter ${id}`);
      });
    });
  dlq
    .command('purge')
    .description('delete every dead letter')
    .action(async (_options: unknown, command: Command) => {
      await withCluster(command, async (cluster) => {
        const purged = await cluster.client.events.deadLetters.purge();
        print(globals(command).json === true ? jsonText({ purged }, true) : `purged ${purged} dead letters`);
      });
    });
  addRegistryCommands(program, {
    withCluster,
    settledMembers,
    print,
    json: (command) => globals(command).json === true,
    clusterName: (command) => globals(command).cluster,
    usage: (message) => new UsageError(message),
    clock,
    sleep: (ms) => new Promise<void>((resolve) => keepProcessAlive(clock.setTimeout(resolve, ms))),
  });
  return program;
}
