/**
 * Start-up connection retries: a node started before its NATS server (compose, systemd) waits for it instead
 * of exiting, so the orchestrator does not crash-loop it.
 *
 * ```
 *  attempt 1 ─✗─ wait 250 ─ attempt 2 ─✗─ wait 500 ─ … ─ wait 5000 ─ attempt n ─✓─► connected
 *                                                     └─ past timeoutMs ─► TimeoutError (cause: last error)
 * ```
 * The delays are {@link connectRetryDelayMs} (pure); time is the injected `Clock`.
 */
import { CancelledError, type Clock, TimeoutError } from '@lucent/core/internal';

/** First pause between attempts. */
export const CONNECT_RETRY_BASE_MS = 250;
/** Longest pause between attempts. */
export const CONNECT_RETRY_MAX_MS = 5_000;

/** The pause after failed attempt `attempt` (1-based): doubling from 250 ms, capped at 5 s. Pure. */
export function connectRetryDelayMs(attempt: number): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 16);
  return Math.min(CONNECT_RETRY_MAX_MS, CONNECT_RETRY_BASE_MS * 2 ** exponent);
}

/** One failed attempt, as reported to {@link ConnectRetryOptions.onRetry}. */
export interface ConnectRetry {
  readonly attempt: number;
  /** Pause before the next attempt. */
  readonly delayMs: number;
  readonly error: unknown;
}

export interface ConnectRetryOptions {
  /** What is being reached, for the timeout error (e.g. `NATS at nats://127.0.0.1:4222`). */
  readonly target: string;
  /** Give up after this long (monotonic, from the first attempt); 0 = never. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Called after each failed attempt that will be retried (a log line per attempt). */
  readonly onRetry?: (retry: ConnectRetry) => void;
  /** Aborting stops the retries (a shutdown during start-up): rejects with `CancelledError`. */
  readonly signal?: AbortSignal;
  /** Bound of one attempt (default 5000 ms, less when the overall timeout is closer). */
  readonly attemptTimeoutMs?: number;
  /** Errors that no retry can cure (refused credentials): rethrown at once. */
  readonly isPermanent?: (error: unknown) => boolean;
}

/**
 * Calls `connect` until it resolves, pausing per {@link connectRetryDelayMs}. `connect` receives the time it
 * may take. Rejects with `TimeoutError` (target, timeoutMs; `cause` the last attempt's error) once `timeoutMs`
 * has passed, or `CancelledError` when `signal` aborts.
 */
export async function connectWithRetry<T>(
  connect: (attemptTimeoutMs: number) => Promise<T>,
  options: ConnectRetryOptions,
): Promise<T> {
  const { clock, timeoutMs } = options;
  const started = clock.now();
  const attemptBound = options.attemptTimeoutMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted === true) throw new CancelledError({ target: options.target });
    const left = timeoutMs === 0 ? attemptBound : timeoutMs - (clock.now() - started);
    let error: unknown;
    try {
      return await connect(Math.max(1, Math.min(attemptBound, left)));
    } catch (caught) {
      if (options.isPermanent?.(caught) === true) throw caught;
      error = caught;
    }
    const remaining = timeoutMs === 0 ? Number.POSITIVE_INFINITY : timeoutMs - (clock.now() - started);
    const delayMs = Math.ceil(Math.min(connectRetryDelayMs(attempt), remaining));
    if (delayMs <= 0) throw new TimeoutError({ target: options.target, timeoutMs }, { cause: error });
    options.onRetry?.({ attempt, delayMs, error });
    await pause(clock, delayMs, options.signal);
  }
}

function pause(clock: Clock, delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, delayMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}
