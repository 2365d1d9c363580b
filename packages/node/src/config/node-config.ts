/**
 * The options of a shard node (`lucent-node`): their typed form, their defaults, and one table that says, for
 * each, its flag, its `LUCENT_*` environment variable, its config-file key and how its value is read. The CLI,
 * the environment reader and the config-file reader are all driven by {@link NODE_OPTION_SPECS}, so an option is
 * added in one place.
 */

import { DEFAULT_MAX_MAILBOX_SIZE } from '@lucent/actors/internal';
import {
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_DUPLICATE_WINDOW_MS,
  DEFAULT_EVENT_MAX_ACK_PENDING,
} from '../events/event-consumer-plan.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../membership/membership-options.js';
import { DEFAULT_MAX_QUEUED_CALLS } from '../pool/admission.js';
import { DEFAULT_POOL_MAX_RESTARTS, DEFAULT_POOL_RESTART_WINDOW_MS } from '../pool/pool-restart-policy.js';
import { DEFAULT_LEASE_RENEW_INTERVAL_MS, DEFAULT_LEASE_TTL_MS } from '../state/lease-policy.js';

/** pino levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How log lines are written: `pretty` (pino-pretty, for people), `json` (one object per line), `auto` = pretty on a TTY. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** Values of `--rebalance`. */
export const REBALANCE_MODES = ['off', 'on'] as const;
export type RebalanceMode = (typeof REBALANCE_MODES)[number];

/** The resolved, validated configuration of one shard node. Every field is set (defaults applied). */
export interface NodeConfig {
  /** Node id: one NATS subject token (`[A-Za-z0-9_-]+`). Required. */
  readonly shard: string;
  /** NATS server URLs; empty = standalone on an in-memory bus. */
  readonly nats: readonly string[];
  /** Cluster name used in subjects (default `lucent`). */
  readonly cluster: string;
  /**
   * JetStream replicas of the buckets and streams this node creates (state, leases, events): 1 on one server, up
   * to the NATS cluster's size (3 for a 3-server cluster). An existing bucket keeps its replicas. Default 1.
   */
  readonly natsReplicas: number;
  /** Function modules loaded into the pool (paths, `file:` URLs or bare specifiers). */
  readonly functions: readonly string[];
  /** Modules whose exported actor definitions become function actors. */
  readonly actors: readonly string[];
  /** Modules whose exported effect handlers (`defineEffect`) saga steps may run. */
  readonly effects: readonly string[];
  /** Specialization tags, for `pin` routing. */
  readonly tags: readonly string[];
  /** Pool worker threads. Default: the number of cores. */
  readonly threads: number;
  /** HTTP port for `/healthz`, `/readyz`, `/metrics`; 0 = ephemeral (the bound port is logged). */
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  /** How long shutdown waits for in-flight work before closing anyway. */
  readonly drainTimeoutMs: number;
  /** Membership heartbeat period. */
  readonly heartbeatIntervalMs: number;
  /** Period of the node's load samples and reports on `lucent.<cluster>.metrics.<id>`. */
  readonly loadReportIntervalMs: number;
  /** `on`: a node above 0.85 sustained load sheds ring share (and its actors, with their state) to the others. */
  readonly rebalance: RebalanceMode;
  /**
   * Activation lease TTL (actors on NATS): a lease its owner has not renewed for this long is taken over by the
   * key's new owner, and an owner that could not renew for this long stops its actors.
   */
  readonly leaseTtlMs: number;
  /** Period of the node's one batched renewal of all its leases; must be below {@link leaseTtlMs}. */
  readonly leaseRenewIntervalMs: number;
  /** How often released activation leases are purged from the lease bucket (actors on NATS; see `LeaseSweepExtension`). */
  readonly leaseSweepIntervalMs: number;
  /** Function pool restarts allowed within {@link poolRestartWindowMs}; past them the node stops fatally (exit 3). */
  readonly poolMaxRestarts: number;
  /** The sliding window of the pool's restart budget. */
  readonly poolRestartWindowMs: number;
  /** Calls that may wait in the function pool; past it a call fails at once with `OverloadedError`. */
  readonly poolMaxQueue: number;
  /**
   * Messages one actor may hold waiting unless its definition sets `maxMailboxSize`; past it an ask or tell is
   * refused at once with `OverloadedError`.
   */
  readonly actorMailboxSize: number;
  // Start-up and logging for people (issue 15):
  /** How log lines are written; `auto` (default) is `pretty` when stdout is a TTY, else `json`. */
  readonly logFormat: LogFormat;
  /** How long start-up keeps retrying to reach NATS; 0 (default) = forever, one log line per attempt. */
  readonly natsConnectTimeoutMs: number;
  /** Window in which an event published again with the same id (`Nats-Msg-Id`) is stored once. */
  readonly eventDuplicateWindowMs: number;
  /** A delivery neither acknowledged nor kept alive this long (its node died) goes to another node. */
  readonly eventAckWaitMs: number;
  /** Unacknowledged deliveries per event consumer across the cluster (bounds in-flight event runs). */
  readonly eventMaxAckPending: number;
  // The gateway's listeners (gRPC, CloudEvents over HTTP), issue 14. `''` = not set.
  /** Interface the gateway listeners bind; default `127.0.0.1`, so exposing them is a decision. */
  readonly gatewayHost: string;
  /** PEM certificate chain of the gateway listeners; with {@link gatewayTlsKey} turns TLS on. */
  readonly gatewayTlsCert: string;
  /** PEM private key of {@link gatewayTlsCert}. */
  readonly gatewayTlsKey: string;
  /** PEM CA bundle: when set, clients must present a certificate it signed (mTLS). */
  readonly gatewayTlsClientCa: string;
  /**
   * File of accepted bearer tokens, one per line; with it (or `LUCENT_GATEWAY_TOKENS`) every gateway request
   * must carry `authorization: Bearer <token>`. The tokens themselves are never an option, so never in `--help`.
   */
  readonly gatewayTokensFile: string;
  // Liveness (`/healthz`), issue 16.
  /** `/healthz` is 503 while the error rate over {@link healthWindowMs} is above this many percent. */
  readonly healthMaxErrorRatePercent: number;
  /** The window of the error rate and of the event-loop delay check. */
  readonly healthWindowMs: number;
  /** Requests in the window below which the error rate is not judged. */
  readonly healthMinRequests: number;
  /** `/healthz` is 503 while the event loop was blocked longer than this within the window. */
  readonly healthMaxEventLoopDelayMs: number;
  // Credentials for a secured NATS (issue 16). `''` = not set; at most one kind of credentials.
  /** Token auth. Prefer `LUCENT_NATS_TOKEN` to the flag: flags show in `ps`. */
  readonly natsToken: string;
  /** User of user/password auth (with {@link natsPassword}). */
  readonly natsUser: string;
  /** Password of {@link natsUser}; prefer `LUCENT_NATS_PASSWORD`. */
  readonly natsPassword: string;
  /** File with an NKey user seed. */
  readonly natsNkeySeed: string;
  /** A `.creds` file (JWT + seed). */
  readonly natsCreds: string;
  /** PEM CA that signed the NATS server's certificate (TLS required when set). */
  readonly natsTlsCa: string;
  /** PEM client certificate for servers that verify clients (with {@link natsTlsKey}). */
  readonly natsTlsCert: string;
  readonly natsTlsKey: string;
  /** Own listener of `POST /events` (CloudEvents), with the gateway's host and TLS; 0 = on the HTTP port. */
  readonly eventsPort: number;
  /** Webhook sinks of emitted events as CloudEvents: `pattern=url` entries (`OrderPlaced`, `order*`, `*`). */
  readonly eventSink: readonly string[];
  /** Port of the gRPC gateway (`lucent.v1.FunctionService`); -1 (default) = off, 0 = ephemeral (logged). */
  readonly grpcPort: number;
}

/** Keys of {@link NodeConfig}: also the config-file keys. */
export type NodeConfigKey = keyof NodeConfig;

/**
 * How a raw value (a string from a flag or the environment, or a JSON value from the config file) is read:
 * `token` one subject token · `list` comma-separated strings (or a JSON array) · `int` an integer in
 * [`min`, `max`] · `level` one of {@link LOG_LEVELS} · `choice` one of `choices` · `path` a file path (relative
 * ones in a config file resolve against its folder) · `text` any non-empty string without whitespace.
 */
export type OptionKind = 'token' | 'list' | 'int' | 'level' | 'choice' | 'path' | 'text';

/** One row of the option table. */
export interface NodeOptionSpec {
  readonly key: NodeConfigKey;
  /** Commander flag syntax, e.g. `--http-port <port>`. */
  readonly flag: string;
  /** Environment variable: `LUCENT_` + the flag name in UPPER_SNAKE. */
  readonly env: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** For `int`: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** For `choice`: the accepted values. */
  readonly choices?: readonly string[];
  /** Shown in `--help` instead of the computed default (e.g. `core count`). */
  readonly defaultLabel?: string;
  /** For `list`: entries are module references (relative paths in a config file resolve against its folder). */
  readonly modules?: boolean;
}

/** Every node option, in `--help` order. `--config` itself is not a node option (see `CONFIG_FLAG`). */
export const NODE_OPTION_SPECS: readonly NodeOptionSpec[] = [
  { key: 'shard', flag: '--shard <id>', env: 'LUCENT_SHARD', kind: 'token', description: 'node id (required)' },
  {
    key: 'nats',
    flag: '--nats <urls>',
    env: 'LUCENT_NATS',
    kind: 'list',
    description: 'NATS servers, comma-separated; none = standalone on an in-memory bus',
  },
  { key: 'cluster', flag: '--cluster <name>', env: 'LUCENT_CLUSTER', kind: 'token', description: 'cluster name' },
  {
    key: 'natsReplicas',
    flag: '--nats-replicas <n>',
    env: 'LUCENT_NATS_REPLICAS',
    kind: 'int',
    min: 1,
    max: 5,
    description: 'JetStream replicas of the KV buckets and streams the node creates (3 on a 3-server NATS cluster)',
  },
  {
    key: 'functions',
    flag: '--functions <module...>',
    env: 'LUCENT_FUNCTIONS',
    kind: 'list',
    modules: true,
    description: 'function modules to load into the worker pool',
  },
  {
    key: 'actors',
    flag: '--actors <module...>',
    env: 'LUCENT_ACTORS',
    kind: 'list',
    modules: true,
    description: 'modules whose exported actor definitions become function actors',
  },
  {
    key: 'effects',
    flag: '--effects <module...>',
    env: 'LUCENT_EFFECTS',
    kind: 'list',
    modules: true,
    description: 'modules whose exported effect handlers (defineEffect) saga steps may run',
  },
  { key: 'tags', flag: '--tags <tags>', env: 'LUCENT_TAGS', kind: 'list', description: 'specialization tags, a,b' },
  {
    key: 'threads',
    flag: '--threads <n>',
    env: 'LUCENT_THREADS',
    kind: 'int',
    min: 1,
    max: 1024,
    defaultLabel: 'core count',
    description: 'pool worker threads',
  },
  {
    key: 'httpPort',
    flag: '--http-port <port>',
    env: 'LUCENT_HTTP_PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    description: 'HTTP port for /healthz, /readyz, /metrics; 0 = ephemeral',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'LUCENT_LOG_LEVEL',
    kind: 'level',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
  },
  {
    key: 'drainTimeoutMs',
    flag: '--drain-timeout-ms <ms>',
    env: 'LUCENT_DRAIN_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: 3_600_000,
    description: 'how long shutdown waits for in-flight work',
  },
  {
    key: 'heartbeatIntervalMs',
    flag: '--heartbeat-interval-ms <ms>',
    env: 'LUCENT_HEARTBEAT_INTERVAL_MS',
    kind: 'int',
    min: 1,
    max: 3_600_000,
    description: 'membership heartbeat period',
  },
  {
    key: 'loadReportIntervalMs',
    flag: '--load-report-interval-ms <ms>',
    env: 'LUCENT_LOAD_REPORT_INTERVAL_MS',
    kind: 'int',
    min: 10,
    max: 3_600_000,
    description: 'period of the load report (routing reads it; an overloaded owner refuses keyed calls)',
  },
  {
    key: 'rebalance',
    flag: '--rebalance <mode>',
    env: 'LUCENT_REBALANCE',
    kind: 'choice',
    choices: REBALANCE_MODES,
    description:
      'move ring share (and actors, with their state) from a node at sustained load >= 0.85 to the least-loaded: ' +
      REBALANCE_MODES.join(', '),
  },
  {
    key: 'leaseTtlMs',
    flag: '--lease-ttl-ms <ms>',
    env: 'LUCENT_LEASE_TTL_MS',
    kind: 'int',
    min: 100,
    max: 3_600_000,
    description: 'activation lease TTL: an unrenewed lease is taken over after this (actors on NATS)',
  },
  {
    key: 'leaseRenewIntervalMs',
    flag: '--lease-renew-interval-ms <ms>',
    env: 'LUCENT_LEASE_RENEW_INTERVAL_MS',
    kind: 'int',
    min: 10,
    max: 3_600_000,
    description: 'period of the batched renewal of all leases of the node; below --lease-ttl-ms',
  },
  {
    key: 'leaseSweepIntervalMs',
    flag: '--lease-sweep-interval-ms <ms>',
    env: 'LUCENT_LEASE_SWEEP_INTERVAL_MS',
    kind: 'int',
    min: 100,
    max: 86_400_000,
    description: 'how often released activation leases are purged from the KV bucket (actors on NATS)',
  },
  {
    key: 'poolMaxRestarts',
    flag: '--pool-max-restarts <n>',
    env: 'LUCENT_POOL_MAX_RESTARTS',
    kind: 'int',
    min: 0,
    max: 1000,
    description: 'function pool restarts allowed within --pool-restart-window-ms before the node stops (exit 3)',
  },
  {
    key: 'poolRestartWindowMs',
    flag: '--pool-restart-window-ms <ms>',
    env: 'LUCENT_POOL_RESTART_WINDOW_MS',
    kind: 'int',
    min: 1,
    max: 86_400_000,
    description: 'sliding window of the function pool restart budget',
  },
  {
    key: 'poolMaxQueue',
    flag: '--pool-max-queue <n>',
    env: 'LUCENT_POOL_MAX_QUEUE',
    kind: 'int',
    min: 1,
    max: 100_000_000,
    description: 'calls that may wait in the function pool; past it calls fail at once with OverloadedError',
  },
  {
    key: 'actorMailboxSize',
    flag: '--actor-mailbox-size <n>',
    env: 'LUCENT_ACTOR_MAILBOX_SIZE',
    kind: 'int',
    min: 1,
    max: 100_000_000,
    description:
      'messages one actor may hold waiting (unless its definition sets maxMailboxSize); past it asks and tells fail at once with OverloadedError',
  },
  // Start-up and logging for people (issue 15):
  {
    key: 'logFormat',
    flag: '--log-format <format>',
    env: 'LUCENT_LOG_FORMAT',
    kind: 'choice',
    choices: LOG_FORMATS,
    defaultLabel: 'pretty on a TTY, else json',
    description: `log line format: ${LOG_FORMATS.join(', ')}`,
  },
  {
    key: 'natsConnectTimeoutMs',
    flag: '--nats-connect-timeout-ms <ms>',
    env: 'LUCENT_NATS_CONNECT_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: 86_400_000,
    defaultLabel: '0 = retry forever',
    description: 'how long start-up retries to reach NATS (with backoff, one log line per attempt)',
  },
  {
    key: 'eventDuplicateWindowMs',
    flag: '--event-duplicate-window-ms <ms>',
    env: 'LUCENT_EVENT_DUPLICATE_WINDOW_MS',
    kind: 'int',
    min: 100,
    max: 86_400_000,
    description: 'window in which an event re-published with the same id is stored once',
  },
  {
    key: 'eventAckWaitMs',
    flag: '--event-ack-wait-ms <ms>',
    env: 'LUCENT_EVENT_ACK_WAIT_MS',
    kind: 'int',
    min: 100,
    max: 3_600_000,
    description: 'how long an unanswered event delivery waits before it goes to another node',
  },
  {
    key: 'eventMaxAckPending',
    flag: '--event-max-ack-pending <n>',
    env: 'LUCENT_EVENT_MAX_ACK_PENDING',
    kind: 'int',
    min: 1,
    max: 1_000_000,
    description: 'unacknowledged deliveries per event consumer across the cluster',
  },
  // The gateway (issue 14):
  {
    key: 'gatewayHost',
    flag: '--gateway-host <host>',
    env: 'LUCENT_GATEWAY_HOST',
    kind: 'text',
    description: 'interface the gRPC and CloudEvents listeners bind (0.0.0.0 exposes them)',
  },
  {
    key: 'gatewayTlsCert',
    flag: '--gateway-tls-cert <file>',
    env: 'LUCENT_GATEWAY_TLS_CERT',
    kind: 'path',
    description: 'PEM certificate of the gateway listeners (with --gateway-tls-key: TLS on)',
  },
  {
    key: 'gatewayTlsKey',
    flag: '--gateway-tls-key <file>',
    env: 'LUCENT_GATEWAY_TLS_KEY',
    kind: 'path',
    description: 'PEM private key of --gateway-tls-cert',
  },
  {
    key: 'gatewayTlsClientCa',
    flag: '--gateway-tls-client-ca <file>',
    env: 'LUCENT_GATEWAY_TLS_CLIENT_CA',
    kind: 'path',
    description: 'PEM CA: gateway clients must present a certificate it signed (mTLS)',
  },
  {
    key: 'gatewayTokensFile',
    flag: '--gateway-tokens-file <file>',
    env: 'LUCENT_GATEWAY_TOKENS_FILE',
    kind: 'path',
    description: 'accepted bearer tokens, one per line (or LUCENT_GATEWAY_TOKENS=a,b); none = no auth',
  },
  // Liveness (issue 16):
  {
    key: 'healthMaxErrorRatePercent',
    flag: '--health-max-error-rate-percent <n>',
    env: 'LUCENT_HEALTH_MAX_ERROR_RATE_PERCENT',
    kind: 'int',
    min: 0,
    max: 100,
    description: '/healthz is 503 while the error rate over --health-window-ms is above this',
  },
  {
    key: 'healthWindowMs',
    flag: '--health-window-ms <ms>',
    env: 'LUCENT_HEALTH_WINDOW_MS',
    kind: 'int',
    min: 1_000,
    max: 3_600_000,
    description: 'window of the /healthz error rate and event-loop checks',
  },
  {
    key: 'healthMinRequests',
    flag: '--health-min-requests <n>',
    env: 'LUCENT_HEALTH_MIN_REQUESTS',
    kind: 'int',
    min: 1,
    max: 1_000_000,
    description: 'requests in the window below which the error rate is not judged',
  },
  {
    key: 'healthMaxEventLoopDelayMs',
    flag: '--health-max-event-loop-delay-ms <ms>',
    env: 'LUCENT_HEALTH_MAX_EVENT_LOOP_DELAY_MS',
    kind: 'int',
    min: 10,
    max: 3_600_000,
    description: '/healthz is 503 while the event loop was blocked longer than this within the window',
  },
  // Secured NATS (issue 16); env names are shared with the client and the lucent CLI (NATS_AUTH_ENV).
  {
    key: 'natsToken',
    flag: '--nats-token <token>',
    env: 'LUCENT_NATS_TOKEN',
    kind: 'text',
    description: 'NATS token auth (prefer the env var: flags show in ps)',
  },
  { key: 'natsUser', flag: '--nats-user <user>', env: 'LUCENT_NATS_USER', kind: 'text', description: 'NATS user' },
  {
    key: 'natsPassword',
    flag: '--nats-password <password>',
    env: 'LUCENT_NATS_PASSWORD',
    kind: 'text',
    description: 'password of --nats-user (prefer the env var)',
  },
  {
    key: 'natsNkeySeed',
    flag: '--nats-nkey-seed <file>',
    env: 'LUCENT_NATS_NKEY_SEED',
    kind: 'path',
    description: 'file with a NATS NKey user seed',
  },
  {
    key: 'natsCreds',
    flag: '--nats-creds <file>',
    env: 'LUCENT_NATS_CREDS',
    kind: 'path',
    description: 'NATS .creds file (user JWT and seed)',
  },
  {
    key: 'natsTlsCa',
    flag: '--nats-tls-ca <file>',
    env: 'LUCENT_NATS_TLS_CA',
    kind: 'path',
    description: 'PEM CA of the NATS server certificate (requires TLS)',
  },
  {
    key: 'natsTlsCert',
    flag: '--nats-tls-cert <file>',
    env: 'LUCENT_NATS_TLS_CERT',
    kind: 'path',
    description: 'PEM client certificate for NATS servers that verify clients',
  },
  {
    key: 'natsTlsKey',
    flag: '--nats-tls-key <file>',
    env: 'LUCENT_NATS_TLS_KEY',
    kind: 'path',
    description: 'PEM key of --nats-tls-cert',
  },
  {
    key: 'eventsPort',
    flag: '--events-port <port>',
    env: 'LUCENT_EVENTS_PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    defaultLabel: '0 = POST /events on the HTTP port',
    description: 'own listener for CloudEvents (POST /events) on --gateway-host, with the gateway TLS',
  },
  {
    key: 'eventSink',
    flag: '--event-sink <pattern=url,...>',
    env: 'LUCENT_EVENT_SINK',
    kind: 'list',
    description: 'POST events matching the type pattern (Type, prefix*, *) to the URL as CloudEvents',
  },
  {
    key: 'grpcPort',
    flag: '--grpc-port <port>',
    env: 'LUCENT_GRPC_PORT',
    kind: 'int',
    min: -1,
    max: 65535,
    defaultLabel: '-1 = off',
    description: 'serve the gRPC gateway (lucent.v1.FunctionService) on this port; 0 = ephemeral',
  },
];

/** The `--config <file>` flag and its environment variable; it names the file, so it is read before the others. */
export const CONFIG_FLAG = { flag: '--config <file>', env: 'LUCENT_CONFIG', key: 'config' } as const;

/** Defaults that depend on the machine, passed in so that resolution stays pure. */
export interface MachineDefaults {
  readonly cpuCount: number;
}

/** The default of every option except `shard` (which has none). */
export function defaultNodeConfig(machine: MachineDefaults): Omit<NodeConfig, 'shard'> {
  return {
    nats: [],
    cluster: 'lucent',
    natsReplicas: 1,
    functions: [],
    actors: [],
    effects: [],
    tags: [],
    threads: Math.max(1, machine.cpuCount),
    httpPort: 8080,
    logLevel: 'info',
    drainTimeoutMs: 10_000,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    loadReportIntervalMs: 1000,
    rebalance: 'off',
    leaseTtlMs: DEFAULT_LEASE_TTL_MS,
    leaseRenewIntervalMs: DEFAULT_LEASE_RENEW_INTERVAL_MS,
    leaseSweepIntervalMs: 600_000,
    poolMaxRestarts: DEFAULT_POOL_MAX_RESTARTS,
    poolRestartWindowMs: DEFAULT_POOL_RESTART_WINDOW_MS,
    poolMaxQueue: DEFAULT_MAX_QUEUED_CALLS,
    actorMailboxSize: DEFAULT_MAX_MAILBOX_SIZE,
    logFormat: 'auto',
    natsConnectTimeoutMs: 0,
    eventDuplicateWindowMs: DEFAULT_EVENT_DUPLICATE_WINDOW_MS,
    eventAckWaitMs: DEFAULT_EVENT_ACK_WAIT_MS,
    eventMaxAckPending: DEFAULT_EVENT_MAX_ACK_PENDING,
    gatewayHost: '127.0.0.1',
    gatewayTlsCert: '',
    gatewayTlsKey: '',
    gatewayTlsClientCa: '',
    gatewayTokensFile: '',
    healthMaxErrorRatePercent: 5,
    healthWindowMs: 60_000,
    healthMinRequests: 20,
    healthMaxEventLoopDelayMs: 3_000,
    natsToken: '',
    natsUser: '',
    natsPassword: '',
    natsNkeySeed: '',
    natsCreds: '',
    natsTlsCa: '',
    natsTlsCert: '',
    natsTlsKey: '',
    eventsPort: 0,
    eventSink: [],
    grpcPort: -1,
  };
}
