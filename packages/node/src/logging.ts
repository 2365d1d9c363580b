/**
 * Node logs: pino, one JSON object per line on stdout (or pino-pretty lines, `--log-format pretty`), every line tagged with the node id. Work that belongs to
 * a request logs through a child carrying its `correlationId` (the envelope id), so one call can be followed
 * across nodes with a grep.
 *
 * Writes are synchronous: a shard logs per lifecycle step and per failure, not per message, and synchronous
 * writes mean the last lines before `process.exit` (and the `node.ready` line tests wait for) are never lost.
 */
import { pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config/node-config.js';

/** The logger type used across @lucent/node. */
export type Logger = pino.Logger;

/** A sink for log lines; tests pass a stream that collects them. */
export type LogDestination = pino.DestinationStream;

export interface NodeLoggerOptions {
  readonly nodeId: string;
  readonly level: LogLevel;
  /** Default: stdout, synchronous. */
  readonly destination?: LogDestination;
  /**
   * `json` (default): one object per line. `pretty`: pino-pretty's coloured lines for a person at a terminal
   * (same fields, still synchronous); `auto`: pretty when stdout is a TTY. Ignored when `destination` is given.
   */
  readonly format?: LogFormat;
}

/** The format `auto` stands for on this process: pretty on a terminal, JSON for log collectors and pipes. */
export function resolveLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'pretty' | 'json' {
  if (format === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return format;
}

/**
 * A JSON logger whose lines carry `node: <id>`, ISO timestamps and the level as a label (`"level":"info"`), so
 * they are readable without pino's numeric level table. `silent` drops everything at no cost per call.
 */
export function createNodeLogger(options: NodeLoggerOptions): Logger {
  const destination = options.destination ?? defaultDestination(options.format ?? 'json');
  return pino(
    {
      level: options.level,
      base: { node: options.nodeId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

function defaultDestination(format: LogFormat): LogDestination {
  const isTTY = process.stdout.isTTY === true;
  if (resolveLogFormat(format, isTTY) === 'json') return pino.destination({ dest: 1, sync: true });
  return pinoPretty({
    destination: 1,
    sync: true,
    colorize: isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}

/**
 * A child logger for one request or conversation. Allocates a child: create it when there is something to log
 * (a failure, a slow call), not for every message.
 */
export function correlationLogger(logger: Logger, correlationId: string): Logger {
  return logger.child({ correlationId });
}
