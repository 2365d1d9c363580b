/**
 * A local NATS cluster for integration tests, chaos runs and demos: `size` `nats-server` processes on 127.0.0.1,
 * routed to each other, each with its own JetStream store dir and monitoring port, started and stopped by pid.
 *
 * ```
 *           routes (cluster port)
 *   s1 ◄──────────────► s2
 *    ▲ ╲                ▲        every server: server_name, listen, http (monitor),
 *    │   ╲──────────╲   │        jetstream { store_dir }, cluster { name, listen, routes: the others }
 *    ▼               ╲► ▼
 *   s3 ◄──────────────► …
 *
 * const nats = await startNatsCluster({ size: 3 });   // resolves once routed, with a JetStream meta leader
 * … connect to nats.urls (all of them: the client fails over) …
 * await nats.servers[0].crash();                      // kill -9, store kept
 * await nats.servers[0].restart();                    // same port, same store: it rejoins
 * await nats.waitForCluster();                        // routes and meta leader back
 * await nats.stop();
 * ```
 * Each server has a config file (`<dir>/<name>.conf`) because JetStream clustering needs `server_name` and a
 * `cluster` block (nats-server 2.9 has no flag for every field).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, TimeoutError } from '@lucent/core/internal';
import { findNatsServerBinary, freePort, NatsServerProcess } from './nats-server.js';
import { forgetDir, removeOnExit } from './process-reaper.js';

export interface NatsClusterOptions {
  /** Servers in the cluster (default 3; JetStream replicas can be at most this). */
  readonly size?: number;
  /** NATS cluster name (default `lucent-test`). */
  readonly name?: string;
  /** Bound on waiting for each server, then for the cluster to form (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** Path of the binary; default as `startNatsServer`. */
  readonly binary?: string;
}

/** One server of a {@link NatsClusterHandle}: a `NatsServerHandle` plus its name and cluster port. */
export interface NatsClusterServer {
  /** `server_name`, e.g. `s1`. */
  readonly name: string;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Route port of its `cluster` block. */
  readonly clusterPort: number;
  /** `http://127.0.0.1:<port>` (monitoring: `/varz`, `/jsz`, `/routez`, `/connz`). */
  readonly monitorUrl: string;
  readonly pid: number;
  readonly storeDir: string;
  /** kill -9 (store kept); {@link restart} brings it back. Resolves once exited. Idempotent. */
  crash(): Promise<void>;
  /** Stops (SIGTERM) if running and starts again on the same ports and store; resolves when it accepts clients. */
  restart(): Promise<void>;
  /** True while its process runs. */
  readonly running: boolean;
}

export interface NatsClusterHandle {
  readonly servers: readonly NatsClusterServer[];
  /** Every server's URL, for `--nats a,b,c` or a client's `servers`. */
  readonly urls: readonly string[];
  /**
   * Resolves once every running server has routes to all the other running servers and names a running server
   * as the JetStream meta leader. Rejects with `TimeoutError` after `timeoutMs` (default the cluster's `readyTimeoutMs`).
   */
  waitForCluster(timeoutMs?: number): Promise<void>;
  /** Stops every server and removes the cluster's dir. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** A server as the cluster knows it. */
class ClusterMember implements NatsClusterServer {
  constructor(
    readonly name: string,
    readonly clusterPort: number,
    readonly process: NatsServerProcess,
  ) {}

  get url(): string {
    return this.process.url;
  }
  get port(): number {
    return this.process.port;
  }
  get monitorUrl(): string {
    return this.process.monitorUrl ?? '';
  }
  get pid(): number {
    return this.process.pid;
  }
  get storeDir(): string {
    return this.process.storeDir ?? '';
  }
  get running(): boolean {
    return this.process.running;
  }
  crash(): Promise<void> {
    return this.process.crash();
  }
  restart(): Promise<void> {
    return this.process.restart();
  }
}

/** The config file of one server (nats-server's config syntax). */
export function natsClusterConfig(server: {
  readonly name: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly clusterPort: number;
  readonly storeDir: string;
  readonly clusterName: string;
  readonly routePorts: readonly number[];
}): string {
  const routes = server.routePorts.map((port) => `    nats-route://127.0.0.1:${port}`).join('\n');
  return [
    `server_name: ${server.name}`,
    `listen: 127.0.0.1:${server.port}`,
    `http: 127.0.0.1:${server.monitorPort}`,
    `jetstream {\n  store_dir: ${JSON.stringify(server.storeDir)}\n}`,
    `cluster {\n  name: ${server.clusterName}\n  listen: 127.0.0.1:${server.clusterPort}\n  routes: [\n${routes}\n  ]\n}`,
    '',
  ].join('\n');
}

/**
 * Starts a routed JetStream cluster of `size` servers on free ports of 127.0.0.1 (see the file comment) and
 * resolves once it is formed. Rejects with `ConfigError` (binary missing, a server exited early, size < 1) or
 * `TimeoutError`; whatever had started is stopped first.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigError({ subject: 'nats cluster harness', field: 'size', reason: `${size} is not an integer >= 1` });
  }
  const binary = findNatsServerBinary(options.binary);
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const clusterName = options.name ?? 'lucent-test';
  const dir = await mkdtemp(join(tmpdir(), 'lucent-nats-cluster-'));
  removeOnExit(dir);
  const ports = [];
  for (let i = 0; i < size; i++) {
    ports.push({ port: await freePort(), monitorPort: await freePort(), clusterPort: await freePort() });
  }
  const members: ClusterMember[] = [];
  for (const [i, p] of ports.entries()) {
    const name = `s${i + 1}`;
    const storeDir = join(dir, name);
    const configFile = join(dir, `${name}.conf`);
    const routePorts = ports.filter((_, j) => j !== i).map((other) => other.clusterPort);
    await writeFile(configFile, natsClusterConfig({ name, ...p, storeDir, clusterName, routePorts }));
    const process = new NatsServerProcess(binary, p.port, p.monitorPort, storeDir, readyTimeoutMs, configFile);
    members.push(new ClusterMember(name, p.clusterPort, process));
  }
  const handle = new NatsCluster(members, dir, readyTimeoutMs);
  try {
    // Started together: a server with routes to servers not yet up keeps retrying them.
    await Promise.all(members.map((member) => member.process.launch()));
    await handle.waitForCluster();
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

class NatsCluster implements NatsClusterHandle {
  readonly servers: readonly ClusterMember[];
  readonly urls: readonly string[];
  #stopped = false;

  constructor(
    servers: readonly ClusterMember[],
    readonly dir: string,
    readonly readyTimeoutMs: number,
  ) {
    this.servers = servers;
    this.urls = servers.map((server) => server.url);
  }

  async waitForCluster(timeoutMs = this.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.#formed()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new TimeoutError({
      target: `NATS cluster of ${this.servers.length} (routes, JetStream meta leader)`,
      timeoutMs,
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.servers.map((server) => server.process.stop()));
    await rm(this.dir, { recursive: true, force: true });
    forgetDir(this.dir);
  }

  async #formed(): Promise<boolean> {
    const running = this.servers.filter((server) => server.running);
    const names = new Set(running.map((server) => server.name));
    for (const server of running) {
      const routez = await monitor(server.monitorUrl, '/routez');
      const jsz = await monitor(server.monitorUrl, '/jsz');
      if (routez === undefined || jsz === undefined) return false;
      if (Number(routez.num_routes ?? 0) < running.length - 1) return false;
      // A leader that is not running is a stale view (the election after a crash has not finished).
      const meta = jsz.meta_cluster as { leader?: string } | undefined;
      if (running.length > 1 && !names.has(meta?.leader ?? '')) return false;
    }
    return true;
  }
}

/** GET of a monitoring endpoint as JSON, or `undefined` when the server does not answer. */
async function monitor(base: string, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(1_000) });
    if (!response.ok) return undefined;
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
