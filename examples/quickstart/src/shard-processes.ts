/**
 * Three `lucent-node` child processes for the demo: spawned with the quick start's modules, watched for
 * `node.ready` on their JSON log, and stopped by pid (SIGTERM, then SIGKILL if one does not exit in time).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI of @lucent/node (`pnpm demo:cluster` builds it first). */
const CLI = fileURLToPath(new URL('../../../packages/node/dist/cli.js', import.meta.url));
const FUNCTIONS = fileURLToPath(new URL('./functions.js', import.meta.url));
const ACTORS = fileURLToPath(new URL('./actors.js', import.meta.url));

export interface ShardProcessOptions {
  readonly shard: string;
  readonly natsUrl: string;
  readonly cluster: string;
  readonly heartbeatIntervalMs: number;
}

/** One running shard process. */
export class ShardProcess {
  readonly shard: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #ready: Promise<void>;

  constructor(options: ShardProcessOptions) {
    this.shard = options.shard;
    // Flags as a user would type them; http port 0 = ephemeral, so three nodes never collide.
    const args = [
      CLI,
      ...['--shard', options.shard, '--nats', options.natsUrl, '--cluster', options.cluster],
      ...['--functions', FUNCTIONS, '--actors', ACTORS, '--threads', '1', '--http-port', '0'],
      ...['--heartbeat-interval-ms', String(options.heartbeatIntervalMs), '--log-level', 'info'],
    ];
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    this.#ready = new Promise((resolve, reject) => {
      let partial = '';
      this.child.stdout?.on('data', (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        if (lines.some((line) => line.includes('"msg":"node.ready"'))) resolve();
      });
      void this.exited.then((code) => reject(new Error(`${this.shard} exited (${code}) before ready\n${stderr}`)));
    });
    // An exit after ready rejects nothing (the promise is settled); before any `ready()` call, it must not be unhandled.
    this.#ready.catch(() => undefined);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves on `node.ready` (logged after the node joined the cluster); rejects on exit or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.shard} not ready within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.#ready, late]).finally(() => clearTimeout(timer));
  }

  /** SIGTERM (graceful drain), then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
