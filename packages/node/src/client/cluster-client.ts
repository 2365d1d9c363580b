/**
 * A client that routes with the cluster's live membership: an observer `Membership` on the client's own
 * connection (it listens to heartbeats and never joins the ring) is its `ViewSource`, so keyed calls and actor
 * messages go straight to their owner and follow joins, leaves and deaths.
 *
 * ```ts
 * const cluster = await connectCluster({ servers: url, heartbeatIntervalMs: 1000 });
 * await cluster.waitForMembers(3);
 * await cluster.client.call(price, input);
 * await cluster.close();            // stops the observer, then closes the connection it opened
 * ```
 * Use the nodes' heartbeat period (or their `deadAfterMs`): the observer declares a node dead on the same
 * window as the nodes do, and views that disagree cost forwards (or, for a dead node, timeouts) meanwhile.
 */
import {
  type Clock,
  type ClusterView,
  ConfigError,
  DEFAULT_CLUSTER,
  systemClock,
  TimeoutError,
  type ViewSource,
  viewSourceOf,
} from '@lucent/core/internal';
import { keepProcessAlive } from '../keep-alive.js';
import { Membership } from '../membership/membership.js';
import { MembershipRole } from '../membership/membership-options.js';
import { RegistryFollower } from '../registry/registry-follower.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { Transport } from '../transport/transport.js';
import { type ConnectOptions, createClient, DEFAULT_SERVERS, type LucentClient } from './lucent-client.js';

/** Options of {@link connectCluster}. */
export interface ClusterClientOptions extends Omit<ConnectOptions, 'viewSource'> {
  /** The nodes' heartbeat period (default membership's, 500 ms); sets the default `deadAfterMs`. */
  readonly heartbeatIntervalMs?: number;
  /** When the observer declares a silent node dead (default 3 × `heartbeatIntervalMs`, as on the nodes). */
  readonly deadAfterMs?: number;
  /**
   * Follow the deployed registry (`lucent deploy`): a call by bare name goes to a version chosen by weight among
   * those enabled for `tags` and loaded on every node hosting the function. Needs JetStream. Default: off (the
   * serving node's active version answers).
   */
  readonly registry?: { readonly tags?: readonly string[] };
}

/** A client plus the membership observer it routes with. Create with {@link connectCluster}. */
export class ClusterClient {
  readonly client: LucentClient;
  readonly membership: Membership;
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #clock: Clock;
  /** The deployed registry as this client follows it (`options.registry`), or `undefined`. */
  readonly registry: RegistryFollower | undefined;

  /** Not for direct use: see {@link connectCluster}. */
  constructor(
    client: LucentClient,
    membership: Membership,
    transport: Transport,
    ownsTransport: boolean,
    clock: Clock = systemClock,
    registry?: RegistryFollower,
  ) {
    this.registry = registry;
    this.#clock = clock;
    this.client = client;
    this.membership = membership;
    this.#transport = transport;
    this.#ownsTransport = ownsTransport;
  }

  /** The view the client routes with now (members sorted by id). */
  get view(): ClusterView {
    return this.membership.view;
  }

  /**
   * Resolves with the view once it has at least `count` members (at once if it already has). Rejects with
   * `TimeoutError` after `timeoutMs` (default 10 000).
   */
  waitForMembers(count: number, timeoutMs = 10_000): Promise<ClusterView> {
    if (this.view.members.length >= count) return Promise.resolve(this.view);
    return new Promise((resolve, reject) => {
      const timer = keepProcessAlive(
        this.#clock.setTimeout(() => {
          remove();
          reject(new TimeoutError({ target: `${count} cluster members`, timeoutMs }));
        }, timeoutMs),
      );
      const remove = this.membership.onEvent(() => {
        if (this.view.members.length < count) return;
        this.#clock.clearTimeout(timer);
        remove();
        resolve(this.view);
      });
    });
  }

  /** Stops the observer and the client, and closes the connection if {@link connectCluster} opened it. Idempotent. */
  async close(): Promise<void> {
    this.registry?.stop();
    await this.membership.stop();
    await this.client.close();
    if (this.#ownsTransport) await this.#transport.close();
  }
}

/**
 * Connects (or uses `options.transport`), starts a membership observer and returns a client routing with it.
 * Resolves after the observer's probe reached the server; members answer it within a round trip, so wait
 * with {@link ClusterClient.waitForMembers} before addressing actors. Rejects with `NodeUnavailableError` when
 * no server accepts the connection, `ConfigError` for invalid options (the connection is then closed).
 */
export async function connectCluster(options: ClusterClientOptions = {}): Promise<ClusterClient> {
  const owns = options.transport === undefined;
  const transport =
    options.transport ??
    (await NatsTransport.connect({
      servers: options.servers ?? DEFAULT_SERVERS,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    }));
  try {
    const membership = new Membership({
      transport,
      role: MembershipRole.Observer,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.deadAfterMs === undefined ? {} : { deadAfterMs: options.deadAfterMs }),
    });
    const {
      heartbeatIntervalMs: _interval,
      deadAfterMs: _dead,
      servers: _servers,
      name: _name,
      auth: _auth,
      ...rest
    } = options;
    const { registry: follow, ...clientOptions } = rest;
    const viewSource = viewSourceOf(membership);
    const registry = follow === undefined ? undefined : await followRegistry(transport, options, follow, viewSource);
    const client = createClient({
      ...clientOptions,
      transport,
      viewSource,
      ...(registry === undefined ? {} : { resolveFunction: (ref: string) => registry.resolve(ref) }),
    });
    await membership.start();
    return new ClusterClient(client, membership, transport, owns, options.clock, registry);
  } catch (error) {
    if (owns) await transport.close();
    throw error;
  }
}

async function followRegistry(
  transport: Transport,
  options: ClusterClientOptions,
  follow: { readonly tags?: readonly string[] },
  view: ViewSource,
): Promise<RegistryFollower> {
  if (!(transport instanceof NatsTransport)) {
    throw new ConfigError({
      subject: 'connectCluster',
      field: 'registry',
      reason: 'the registry needs a NATS transport',
    });
  }
  return RegistryFollower.start(transport.natsConnection, {
    cluster: options.cluster ?? DEFAULT_CLUSTER,
    view,
    ...(follow.tags === undefined ? {} : { tags: follow.tags }),
  });
}
