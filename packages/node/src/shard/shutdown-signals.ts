/**
 * SIGTERM / SIGINT handling of the `lucent-node` process:
 *
 * ```
 *  1st signal ─► node.shutdown(signal) (graceful, bounded by drainTimeoutMs per waiting step) ─► exit 0
 *  2nd signal ─► exit 130 at once (128 + SIGINT, the shell's "interrupted" code), whatever is in flight
 * ```
 */
import type { Logger } from '../logging.js';

/** Exit code after a second signal cut the graceful shutdown short. */
export const EXIT_INTERRUPTED = 130;

/** The signals that start a graceful shutdown. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The part of `process` used here; tests pass an `EventEmitter`. */
export interface SignalSource {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

export interface ShutdownSignalOptions {
  readonly node: { shutdown(reason: string): Promise<void> };
  readonly logger: Logger;
  /** Ends the process; `process.exit` in the CLI. */
  readonly exit: (code: number) => void;
  /** Default `process`. */
  readonly signals?: SignalSource;
}

/**
 * Installs the handlers and returns a function that removes them. Installing replaces Node's default of dying
 * on SIGTERM/SIGINT, so the first signal always goes through `node.shutdown`, which never rejects.
 */
export function handleShutdownSignals(options: ShutdownSignalOptions): () => void {
  const source = options.signals ?? process;
  let shuttingDown = false;
  const listeners = SHUTDOWN_SIGNALS.map((signal) => {
    const listener = (): void => {
      if (shuttingDown) {
        options.logger.warn({ signal }, 'node.shutdown_interrupted');
        options.exit(EXIT_INTERRUPTED);
        return;
      }
      shuttingDown = true;
      options.logger.info({ signal }, 'node.signal');
      void options.node.shutdown(signal).then(() => options.exit(0));
    };
    source.on(signal, listener);
    return { signal, listener };
  });
  return () => {
    for (const { signal, listener } of listeners) source.off(signal, listener);
  };
}
