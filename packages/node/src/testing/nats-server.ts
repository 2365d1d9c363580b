/**
 * A `nats-server` process for integration tests, benches and the demo: a free port on 127.0.0.1, its own temp
 * store dir, started and stopped by pid. Never the system server on 4222.
 *
 * ```
 * const server = await startNatsServer({ jetstream: true });
 * … connect to server.url …
 * await server.restart();   // same port and store: exercises reconnects
 * await server.stop();      // SIGTERM, SIGKILL after a bound, store removed
 * ```
 * A child still running when the test process exits is killed (SIGKILL) by an exit hook.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError, TimeoutError } from '@lucent/core/internal';
import { forgetDir, reapOnExit, removeOnExit } from './process-reaper.js';

export interface NatsServerOptions {
  /** Enable JetStream with a temp store dir (`-js -sd <dir>`). Default true. */
  readonly jetstream?: boolean;
  /** Also open the HTTP monitoring port (`-m <port>`, e.g. for `/varz`). Default false. */
  readonly monitor?: boolean;
  /** Bound on waiting for the server to accept connections (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** Path of the binary; default: `$NATS_SERVER_BIN`, then `PATH`, `/usr/sbin`, `/usr/local/bin`. */
  readonly binary?: string;
  /** Listen on this port (e.g. one a node was told to use before the server existed); default a free one. */
  readonly port?: number;
  /**
   * More server configuration (nats-server config syntax), e.g. an `authorization { … }` or `tls { … }` block for
   * secured-NATS tests. The harness writes it with the listen address and JetStream store into a config file.
   */
  readonly config?: string;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` when `monitor` was set. */
  readonly monitorUrl: string | undefined;
  /** Pid of the current process (changes on `restart()`). */
  readonly pid: number;
  /** JetStream store dir (undefined without JetStream). */
  readonly storeDir: string | undefined;
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and removes the store dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one on the same port and store; resolves when it accepts connections. */
  restart(): Promise<void>;
  /**
   * kill -9 by pid: a crash, no shutdown; the store dir is kept, so {@link restart} brings the same server back.
   * Resolves once the process has exited. Idempotent.
   */
  crash(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
/** Finds the `nats-server` binary, or throws `ConfigError` saying where it looked. */
export function findNatsServerBinary(explicit?: string): string {
  const candidates = explicit !== undefined ? [explicit] : [];
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (explicit === undefined && fromEnv !== undefined && fromEnv !== '') candidates.push(fromEnv);
  if (explicit === undefined) {
    for (const dir of (process.env.PATH ?? '').split(delimiter))
      if (dir !== '') candidates.push(join(dir, 'nats-server'));
    candidates.push('/usr/sbin/nats-server', '/usr/local/bin/nats-server');
  }
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Try the next place.
    }
  }
  throw new ConfigError({
    subject: 'nats-server harness',
    field: 'binary',
    reason: `nats-server not found (looked at ${candidates.join(', ')}); install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN`,
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when a TCP connection to the port gets the server's `INFO` line. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('INFO')));
  });
}

/** A running server; see {@link NatsServerHandle}. Exported for `startNatsCluster`; tests use the start functions. */
export class NatsServerProcess implements NatsServerHandle {
  readonly url: string;
  readonly monitorUrl: string | undefined;
  #child: ChildProcess | undefined = undefined;
  #output = '';
  #stopped = false;

  constructor(
    readonly binary: string,
    readonly port: number,
    readonly monitorPort: number | undefined,
    readonly storeDir: string | undefined,
    readonly readyTimeoutMs: number,
    /** A config file (`-c`) that sets everything but the port flags (used by `startNatsCluster`). */
    readonly configFile?: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
    this.monitorUrl = monitorPort === undefined ? undefined : `http://127.0.0.1:${monitorPort}`;
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /** True while the current process runs. */
  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async launch(): Promise<void> {
    const args = this.configFile !== undefined ? ['-c', this.configFile] : ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.configFile === undefined && this.storeDir !== undefined) args.push('-js', '-sd', this.storeDir);
    if (this.configFile === undefined && this.monitorPort !== undefined) args.push('-m', String(this.monitorPort));
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    this.#output = '';
    reapOnExit(child);
    // Keep the last few KiB of the log for error messages; draining the pipe also keeps the server from blocking.
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4096);
    });
    // The handle must not keep a test process alive; the exit hook kills the child.
    child.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ConfigError({
          subject: 'nats-server harness',
          field: 'process',
          reason: `nats-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.#output}`,
        });
      }
      if (await probe(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.#kill();
    throw new TimeoutError({ target: `nats-server on port ${this.port}`, timeoutMs: this.readyTimeoutMs });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#kill();
    if (this.storeDir !== undefined) {
      await rm(this.storeDir, { recursive: true, force: true });
      forgetDir(this.storeDir);
    }
  }

  async restart(): Promise<void> {
    if (this.#stopped) throw new ConfigError({ subject: 'nats-server harness', field: 'state', reason: 'stopped' });
    await this.#kill();
    await this.launch();
  }

  async crash(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async #kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
    });
    if ((await Promise.race([exited, grace])) === 'late') {
      child.kill('SIGKILL');
      await exited;
    }
    clearTimeout(timer);
  }
}

/**
 * Starts a `nats-server` on a free port of 127.0.0.1 and resolves once it accepts connections. Rejects with
 * `ConfigError` when the binary is missing or the process exits early (with its log), `TimeoutError` when it
 * is not ready within `readyTimeoutMs` (the process is then killed).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServerBinary(options.binary);
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitor === true ? await freePort() : undefined;
  const storeDir = options.jetstream === false ? undefined : await mkdtemp(join(tmpdir(), 'lucent-nats-'));
  if (storeDir !== undefined) removeOnExit(storeDir);
  const configFile =
    options.config === undefined ? undefined : await writeServerConfig(port, storeDir, monitorPort, options.config);
  const server = new NatsServerProcess(
    binary,
    port,
    monitorPort,
    storeDir,
    options.readyTimeoutMs ?? 10_000,
    configFile,
  );
  try {
    await server.launch();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** A config file for one server: listen address, JetStream store, monitor port, then `extra`. */
async function writeServerConfig(
  port: number,
  storeDir: string | undefined,
  monitorPort: number | undefined,
  extra: string,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lucent-nats-conf-'));
  removeOnExit(dir);
  const lines = [`listen: 127.0.0.1:${port}`];
  if (storeDir !== undefined) lines.push(`jetstream { store_dir: ${JSON.stringify(storeDir)} }`);
  if (monitorPort !== undefined) lines.push(`http: 127.0.0.1:${monitorPort}`);
  lines.push(extra);
  const file = join(dir, 'nats-server.conf');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}
