/**
 * Runs the built `lucent-node` CLI (`packages/node/dist/cli.js`) as a child process for integration tests:
 * collects its JSON log lines, waits for one, and kills it by pid. Build first: `npx tsc -b packages/node`
 * (the root `pnpm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One running CLI process. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #waiters: (() => void)[] = [];

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npx tsc -b packages/node first`);
    // A clean LUCENT_* environment: only what the test passes.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LUCENT_')));
    this.child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stdout += text;
      partial += text;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.child.once('exit', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Resolves with the first log line whose `msg` is `msg`; rejects after `timeoutMs` or if the process exits. */
  async waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.msg === msg);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`lucent-node exited before '${msg}'\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no '${msg}' within ${timeoutMs} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the exit, or rejects when it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 15_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`lucent-node did not exit within ${timeoutMs} ms\n${this.stdout}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL by pid if still running. Idempotent. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      process.kill(this.child.pid, 'SIGKILL');
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }
}

/** Tracks spawned processes so `afterEach` can kill whatever a failed test left running. */
export class CliProcesses {
  readonly #all: CliProcess[] = [];

  /** Every process spawned and not yet killed by {@link killAll}, in spawn order. */
  get all(): readonly CliProcess[] {
    return this.#all;
  }

  spawn(args: readonly string[], env?: Record<string, string>): CliProcess {
    const cli = new CliProcess(args, env);
    this.#all.push(cli);
    return cli;
  }

  async killAll(): Promise<void> {
    const all = this.#all.splice(0);
    for (const cli of all) cli.kill();
    await Promise.all(all.map((cli) => cli.exited));
  }
}

/** Where and how fast the nodes of a test cluster talk. */
export interface TestClusterNodeOptions {
  readonly cluster: string;
  readonly natsUrl: string;
  readonly heartbeatMs: number;
}

/**
 * Arguments of one `lucent-node` of a test cluster: node `id` on `natsUrl`, an OS-chosen HTTP port and the
 * cluster's heartbeat, followed by `extra` (modules, threads, ...).
 */
export function clusterNodeArgs(id: string, options: TestClusterNodeOptions, extra: readonly string[]): string[] {
  return [
    ...['--shard', id, '--cluster', options.cluster, '--nats', options.natsUrl, '--http-port', '0'],
    ...['--heartbeat-interval-ms', String(options.heartbeatMs), ...extra],
  ];
}

export async function httpStatus(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.text();
  return response.status;
}
