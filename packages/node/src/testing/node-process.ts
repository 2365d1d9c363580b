/**
 * A Node.js child process for integration tests, benches and demos: a `lucent-node` (the built CLI) or any
 * node script, started with args and env, its output collected, and stopped by pid.
 *
 * ```
 * const node = startNodeProcess({ args: ['--shard', 'n1', '--nats', url, '--http-port', '0'] });
 * await node.waitForLog('node.ready');     // a JSON log line with this `msg` (or waitForOutput('ready'))
 * …
 * await node.stop();                       // SIGTERM, SIGKILL after graceMs; resolves with the exit
 * node.kill();                             // or kill -9 at once (a crash)
 * ```
 * A child still running when the parent process exits is killed (SIGKILL) by an exit hook, so a failed test or
 * an interrupted bench leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, TimeoutError } from '@lucent/core/internal';
import { reapOnExit } from './process-reaper.js';

/**
 * The built `lucent-node` CLI, `dist/cli.js` of this package. From TypeScript sources (vitest) `/src/` is
 * mapped to `/dist/`: build the package first (`npx tsc -b packages/node`).
 */
export const LUCENT_NODE_CLI: string = (() => {
  const url = new URL('../cli.js', import.meta.url);
  url.pathname = url.pathname.replace(/\/src\/cli\.js$/, '/dist/cli.js');
  return fileURLToPath(url);
})();

/** Options of {@link startNodeProcess}. */
export interface NodeProcessOptions {
  /** The script `node` runs; default {@link LUCENT_NODE_CLI}. */
  readonly script?: string;
  readonly args?: readonly string[];
  /**
   * Added to the parent's environment. The parent's `LUCENT_*` variables are dropped first, so a node sees only
   * the options it is given.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** `'pipe'` (default) collects stderr in {@link NodeProcess.stderr}; `'inherit'` passes it through. */
  readonly stderr?: 'pipe' | 'inherit';
  /** Name in error messages (default the script's file name). */
  readonly name?: string;
  /** Working directory of the child (default the parent's). */
  readonly cwd?: string;
  /** Node flags before the script, e.g. `['--import', 'tsx']` (default none). */
  readonly execArgv?: readonly string[];
}

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Default wait of {@link NodeProcess.stop} before SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** Output kept for error messages and {@link NodeProcess.stdout}; older text is dropped. */
const MAX_OUTPUT_CHARS = 1024 * 1024;

/** One running child process. Create with {@link startNodeProcess}. */
export class NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Parsed JSON log lines of stdout (lines starting with `{`), in order. */
  readonly lines: Record<string, unknown>[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #stdout = '';
  #stderr = '';
  #partial = '';
  #waiters: (() => void)[] = [];

  /** Not for direct use: see {@link startNodeProcess}. */
  constructor(options: NodeProcessOptions) {
    const script = options.script ?? LUCENT_NODE_CLI;
    if (!existsSync(script)) {
      const reason = `${script} is missing${script === LUCENT_NODE_CLI ? ': build first (npx tsc -b packages/node)' : ''}`;
      throw new ConfigError({ subject: 'node process harness', field: 'script', reason });
    }
    this.name = options.name ?? script.slice(script.lastIndexOf('/') + 1);
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LUCENT_')));
    this.child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...(options.args ?? [])], {
      env: { ...base, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
    });
    reapOnExit(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.#wake();
        resolve({ code, signal });
      }),
    );
    this.child.stdout?.on('data', (chunk: Buffer) => this.#onStdout(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    });
  }

  /** Pid of the process (-1 if the spawn failed). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Everything the process wrote to stdout so far (the last MiB). */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything it wrote to stderr so far (the last MiB; empty with `stderr: 'inherit'`). */
  get stderr(): string {
    return this.#stderr;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves with the first JSON log line whose `msg` is `msg` (one already seen counts). Rejects with
   * `TimeoutError` after `timeoutMs`, or `ConfigError` (with the output) when the process exits first.
   */
  waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return this.#waitFor(`log '${msg}'`, timeoutMs, () => this.lines.find((line) => line.msg === msg));
  }

  /** Resolves once stdout contains `text`; rejects like {@link waitForLog}. */
  async waitForOutput(text: string, timeoutMs = 20_000): Promise<void> {
    await this.#waitFor(`output '${text}'`, timeoutMs, () => (this.#stdout.includes(text) ? true : undefined));
  }

  /** Resolves with the first match of `pattern` in stdout (say, a URL the process prints); rejects like {@link waitForLog}. */
  waitForMatch(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return this.#waitFor(`output matching ${pattern}`, timeoutMs, () => pattern.exec(this.#stdout) ?? undefined);
  }

  /** Resolves with the exit, or rejects with `TimeoutError` when it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 15_000): Promise<ProcessExit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError({ target: `exit of ${this.name}`, timeoutMs })), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` by pid if the process still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }

  /** SIGKILL (kill -9) by pid if still running: a crash, no drain. Idempotent; await {@link exited} for the end. */
  kill(): void {
    this.signal('SIGKILL');
  }

  /**
   * Graceful stop: SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves with the exit once the
   * process is gone (at once if it already was). Idempotent; never rejects.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #onStdout(text: string): void {
    this.#stdout = (this.#stdout + text).slice(-MAX_OUTPUT_CHARS);
    this.#partial += text;
    const parts = this.#partial.split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line after all (a script printing JSON-looking text); it stays in `stdout`.
      }
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #waitFor<T>(what: string, timeoutMs: number, find: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (!this.running) {
        const reason = `${this.name} exited before ${what}\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`;
        throw new ConfigError({ subject: 'node process harness', field: 'process', reason });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError({ target: `${what} of ${this.name}`, timeoutMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * Spawns `node <script> ...args` (default the `lucent-node` CLI). Does not wait: use
 * {@link NodeProcess.waitForLog} or {@link NodeProcess.waitForOutput}. Throws `ConfigError` when the script is
 * missing (e.g. the package is not built).
 */
export function startNodeProcess(options: NodeProcessOptions = {}): NodeProcess {
  return new NodeProcess(options);
}

/** Tracks started processes so a test's `afterEach` can kill whatever a failed test left running. */
export class NodeProcesses {
  readonly #all: NodeProcess[] = [];

  /** Every process started and not yet killed by {@link killAll}, in start order. */
  get all(): readonly NodeProcess[] {
    return this.#all;
  }

  /** {@link startNodeProcess}, tracked. */
  start(options: NodeProcessOptions = {}): NodeProcess {
    const started = startNodeProcess(options);
    this.#all.push(started);
    return started;
  }

  /** SIGKILL to every tracked process; resolves once all have exited. */
  async killAll(): Promise<void> {
    const all = this.#all.splice(0);
    for (const started of all) started.kill();
    await Promise.all(all.map((started) => started.exited));
  }
}
