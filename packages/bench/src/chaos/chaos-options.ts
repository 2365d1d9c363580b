/**
 * Options of a chaos run (`pnpm chaos --help`), their defaults, and the pure parser of the command line.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@lucent/core/internal';

/** How a chaos run is shaped. Every field is set (defaults applied). */
export interface ChaosOptions {
  /** kill -9 cycles of a random node (each: kill, measure failover, restart, settle). */
  readonly cycles: number;
  /** `lucent-node` processes. */
  readonly nodes: number;
  /** Account actors the deposits spread over. */
  readonly actors: number;
  /** Seed of the run's random choices (victims, operations, amounts). */
  readonly seed: number;
  /** Concurrent load loops. */
  readonly concurrency: number;
  /** Pause of each load loop between two operations. */
  readonly opIntervalMs: number;
  /** Load before the first fault. */
  readonly warmupMs: number;
  /** Load between a restarted node's readiness and the next fault. */
  readonly settleMs: number;
  /** SIGSTOP one node this long, then SIGCONT (0 = skip); should exceed the lease TTL / membership's dead window. */
  readonly pauseMs: number;
  /** Restart nats-server (one server of the cluster: kill -9 and back) once under load. */
  readonly natsRestart: boolean;
  /** Run on a local NATS cluster of {@link natsServers} servers, buckets with that many replicas. */
  readonly natsCluster: boolean;
  readonly natsServers: number;
  /** How long a NATS server stays down when restarted. */
  readonly natsDownMs: number;
  /** The nodes' `--heartbeat-interval-ms` (undefined: the node default). */
  readonly heartbeatMs: number | undefined;
  /** Timeout of each ask and call of the load. */
  readonly askTimeoutMs: number;
  /** Failures this long after a fault has healed still count as inside its window. */
  readonly graceMs: number;
  /** Bound on waiting for a killed node's actors to answer elsewhere (then counted as this long). */
  readonly failoverCapMs: number;
  /** After the load: how long to wait for events still being handled. */
  readonly drainMs: number;
  /** `default` (the runtime's default persistence) or `write-behind` (save after each transition, reply first). */
  readonly persist: 'default' | 'write-behind';
  /** Pool threads per node. */
  readonly threads: number;
  /** Extra arguments for every `lucent-node` (e.g. a lease TTL flag). */
  readonly nodeArgs: readonly string[];
  /** Print the nodes' stderr (debugging). */
  readonly verbose: boolean;
}

export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = Object.freeze({
  cycles: 20,
  nodes: 3,
  actors: 40,
  seed: 1,
  concurrency: 4,
  opIntervalMs: 20,
  warmupMs: 2_000,
  settleMs: 1_500,
  pauseMs: 6_000,
  natsRestart: true,
  natsCluster: false,
  natsServers: 3,
  natsDownMs: 2_000,
  heartbeatMs: undefined,
  askTimeoutMs: 5_000,
  graceMs: 3_000,
  failoverCapMs: 30_000,
  // Past the nodes' event ack wait (default 5 s): an event a killed node was running is redelivered by then.
  drainMs: 10_000,
  persist: 'default',
  threads: 1,
  nodeArgs: Object.freeze([]),
  verbose: false,
});

export const CHAOS_HELP = `pnpm chaos [options]: kill -9 cycles of random lucent-node processes under a mixed load
(asks to account actors, events, calls), one SIGSTOP longer than the dead window, one NATS restart; prints what
was lost, double-applied, unhandled or failed, and how long a killed node's actors took to answer elsewhere.

  --cycles <n>            kill -9 cycles (default 20)
  --nodes <n>             lucent-node processes (default 3)
  --actors <n>            account actors (default 40)
  --seed <n>              random seed (default 1)
  --concurrency <n>       load loops (default 4)
  --op-interval-ms <ms>   pause of each loop between operations (default 20)
  --warmup-ms <ms>        load before the first fault (default 2000)
  --settle-ms <ms>        load after a restarted node is back, before the next fault (default 1500)
  --pause-ms <ms>         SIGSTOP one node this long, then SIGCONT; 0 = skip (default 6000)
  --no-nats-restart       skip the NATS restart
  --nats-cluster          run on a local 3-server NATS cluster (replicas 3; the restart is a kill -9 of one server)
  --nats-servers <n>      servers of --nats-cluster (default 3)
  --nats-down-ms <ms>     how long a restarted NATS server stays down (default 2000)
  --heartbeat-ms <ms>     the nodes' --heartbeat-interval-ms (default: the node's default)
  --ask-timeout-ms <ms>   timeout of each ask and call (default 5000)
  --grace-ms <ms>         failures this long after a fault healed still count inside its window (default 3000)
  --failover-cap-ms <ms>  bound on waiting for a killed node's actors to answer elsewhere (default 30000)
  --drain-ms <ms>         wait for events still being handled after the load (default 5000)
  --persist <mode>        default | write-behind: the account actor's persistence (default: default)
  --threads <n>           pool threads per node (default 1)
  --node-arg <arg>        extra lucent-node argument, repeatable (e.g. --node-arg=--lease-ttl-ms=3000)
  --verbose               pass the nodes' stderr through
  --help

Prints a summary table and one JSON line (starting with {"chaos":); exits 1 when a count that must be 0 is not.`;

/** `--help` was given: print {@link CHAOS_HELP}. */
export const HELP_REQUESTED = 'help';

/**
 * Reads `args` (after the script) into options. Returns {@link HELP_REQUESTED} for `--help`. Throws `ConfigError`
 * (field = the option) for an unknown option or a bad value.
 */
export function parseChaosOptions(args: readonly string[]): ChaosOptions | typeof HELP_REQUESTED {
  let parsed: ReturnType<typeof parseArgs>;
  const stringOptions = [
    'cycles',
    'nodes',
    'actors',
    'seed',
    'concurrency',
    'op-interval-ms',
    'warmup-ms',
    'settle-ms',
    'pause-ms',
    'nats-servers',
    'nats-down-ms',
    'heartbeat-ms',
    'ask-timeout-ms',
    'grace-ms',
    'failover-cap-ms',
    'drain-ms',
    'persist',
    'threads',
  ] as const;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(stringOptions.map((name) => [name, { type: 'string' as const }])),
        'node-arg': { type: 'string', multiple: true },
        'no-nats-restart': { type: 'boolean' },
        'nats-cluster': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError({ subject: 'pnpm chaos', field: 'args', reason }, { cause });
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v.help === true) return HELP_REQUESTED;
  const d = DEFAULT_CHAOS_OPTIONS;
  const int = (name: string, fallback: number, min: number): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < min) {
      throw new ConfigError({
        subject: 'pnpm chaos',
        field: name,
        reason: `must be an integer >= ${min}, got '${raw}'`,
      });
    }
    return value;
  };
  const persist = v.persist ?? d.persist;
  if (persist !== 'default' && persist !== 'write-behind') {
    throw new ConfigError({ subject: 'pnpm chaos', field: 'persist', reason: `must be default or write-behind` });
  }
  const heartbeat = v['heartbeat-ms'] === undefined ? undefined : int('heartbeat-ms', 0, 1);
  return {
    cycles: int('cycles', d.cycles, 0),
    nodes: int('nodes', d.nodes, 2),
    actors: int('actors', d.actors, 1),
    seed: int('seed', d.seed, 0),
    concurrency: int('concurrency', d.concurrency, 1),
    opIntervalMs: int('op-interval-ms', d.opIntervalMs, 0),
    warmupMs: int('warmup-ms', d.warmupMs, 0),
    settleMs: int('settle-ms', d.settleMs, 0),
    pauseMs: int('pause-ms', d.pauseMs, 0),
    natsRestart: v['no-nats-restart'] !== true,
    natsCluster: v['nats-cluster'] === true,
    natsServers: int('nats-servers', d.natsServers, 2),
    natsDownMs: int('nats-down-ms', d.natsDownMs, 0),
    heartbeatMs: heartbeat,
    askTimeoutMs: int('ask-timeout-ms', d.askTimeoutMs, 1),
    graceMs: int('grace-ms', d.graceMs, 0),
    failoverCapMs: int('failover-cap-ms', d.failoverCapMs, 1),
    drainMs: int('drain-ms', d.drainMs, 0),
    persist,
    threads: int('threads', d.threads, 1),
    nodeArgs: (v['node-arg'] as string[] | undefined) ?? [],
    verbose: v.verbose === true,
  };
}
