/**
 * What a function sees besides its input, and what it may say besides its result: the context's fields, its
 * logger and `emit`. Pure: records and emitted events are collected in the context and handed back with the
 * result; the node writes the records to its log (with the call's correlation id) and publishes the events once
 * the call succeeded (they are dropped if it fails). Functions get no other I/O.
 *
 * ```
 *  worker: ctx.logger.info(...) ─► records [level, msg, fields]   ─┐ with the result
 *          ctx.emit(type, data) ─► emitted [type, data]           ─┘ (null when nothing was said)
 *  node:   records ─► pino (correlationId, fn)   emitted ─► event log, after success only
 * ```
 * Levels are filtered where the records are made: a disabled level's method is one shared no-op, so a
 * `ctx.logger.debug(...)` under `info` costs a call and nothing else (pino's habit).
 */

/** Log levels a function may write at, lowest first (pino's names and numbers). */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
/** One of the {@link LOG_LEVELS} names. */
export type LogLevelName = keyof typeof LOG_LEVELS;

/** `'silent'` disables every level. */
export type LogThreshold = LogLevelName | 'silent';

/** One log method: `(msg)` or `(fields, msg?)`, as pino takes them. */
export interface LogMethod {
  (msg: string): void;
  (fields: Record<string, unknown>, msg?: string): void;
}

/** The logger of `ctx.logger`. */
export interface FunctionLogger {
  readonly trace: LogMethod;
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
  readonly fatal: LogMethod;
}

/** A log record as shipped back with a result: `[level number, message, fields or null]`. */
export type LogRecord = [level: number, msg: string, fields: Record<string, unknown> | null];

/** An event said by `ctx.emit`: `[type, data]`. */
export type EmittedEvent = [type: string, data: unknown];

/** Brand key of an event definition (same symbol in every module instance and thread). */
export const EVENT_BRAND: unique symbol = Symbol.for('lucent.event');

/**
 * A typed event type: `defineEvent<{ orderId: string }>('OrderShipped')`. Pass it where a type name goes
 * (`ctx.emit`, `client.emit`, `client.on`) to have its data typed.
 */
export interface EventDefinition<T = unknown> {
  readonly [EVENT_BRAND]: true;
  readonly type: string;
  /** Phantom: carries `T` for the type checker; always `undefined`. */
  readonly data?: T;
}

/** The data type of an {@link EventDefinition}. */
export type EventDataOf<E> = E extends EventDefinition<infer T> ? T : never;

/** A typed event type named `type` (checked when it is used: a subject token). Pure. */
export function defineEvent<T = unknown>(type: string): EventDefinition<T> {
  return Object.freeze({ [EVENT_BRAND]: true as const, type });
}

/** True when `value` was made by {@link defineEvent}. */
export function isEventDefinition(value: unknown): value is EventDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[EVENT_BRAND] === true;
}

/** The shard a function runs on. */
export interface ShardInfo {
  readonly id: string;
  readonly tags: readonly string[];
}

/** A shard for runs outside a node (the inline runner's default). */
export const NO_SHARD: ShardInfo = Object.freeze({ id: '', tags: Object.freeze([]) });
/** Metadata of a call that carries none. */
export const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

// The method of every disabled level (see the module doc).
const noop = (): void => {};

/** Collects the records of one run; the level methods of disabled levels are replaced by `noop` per threshold. */
class RecordingLogger {
  records: LogRecord[] | null = null;

  /** @internal */
  write(level: number, first: Record<string, unknown> | string, msg: string | undefined): void {
    const record: LogRecord =
      typeof first === 'string' ? [level, first, null] : [level, msg ?? '', first === null ? null : { ...first }];
    if (this.records === null) this.records = [record];
    else this.records.push(record);
  }
}

type LoggerClass = new () => RecordingLogger & FunctionLogger;
const loggerClasses = new Map<LogThreshold, LoggerClass>();

/**
 * The logger class for `threshold`, built once per threshold: methods of enabled levels record, the others are
 * the shared no-op.
 */
function loggerClassFor(threshold: LogThreshold): LoggerClass {
  let Class = loggerClasses.get(threshold);
  if (Class !== undefined) return Class;
  const min = threshold === 'silent' ? Number.POSITIVE_INFINITY : LOG_LEVELS[threshold];
  class Levelled extends RecordingLogger {}
  for (const [name, level] of Object.entries(LOG_LEVELS)) {
    const method =
      level >= min
        ? function (this: RecordingLogger, first: Record<string, unknown> | string, msg?: string): void {
            this.write(level, first, msg);
          }
        : noop;
    Object.defineProperty(Levelled.prototype, name, { value: method, writable: false });
  }
  Class = Levelled as unknown as LoggerClass;
  loggerClasses.set(threshold, Class);
  return Class;
}

/** True for a level name or `'silent'`. */
export function isLogThreshold(value: unknown): value is LogThreshold {
  return value === 'silent' || (typeof value === 'string' && value in LOG_LEVELS);
}

/**
 * The context object of one run (see the module doc). The logger is made on first use, so a function that does
 * not log allocates none; `emit` appends to `emitted`. Positional constructor: one allocation per call.
 */
export class CallContext {
  /** Events said by `emit`, or `null`. */
  emitted: EmittedEvent[] | null = null;
  #logger: (RecordingLogger & FunctionLogger) | null = null;

  constructor(
    readonly name: string,
    readonly attempt: number,
    readonly deadline: number,
    readonly correlationId: string,
    readonly causationId: string,
    readonly traceparent: string,
    readonly metadata: Readonly<Record<string, string>>,
    readonly shard: ShardInfo,
    readonly event: { readonly id: string; readonly attempt: number } | undefined,
    readonly threshold: LogThreshold,
  ) {}

  get logger(): FunctionLogger {
    if (this.#logger === null) this.#logger = new (loggerClassFor(this.threshold))();
    return this.#logger;
  }

  /** Records collected so far, or `null`. */
  get records(): LogRecord[] | null {
    return this.#logger === null ? null : this.#logger.records;
  }

  /** Publishes `type` with `data` once the call succeeded (see the module doc). */
  emit(type: string | EventDefinition, data?: unknown): void {
    const name = typeof type === 'string' ? type : type.type;
    if (this.emitted === null) this.emitted = [[name, data]];
    else this.emitted.push([name, data]);
  }
}

/** Fields {@link createFunctionContext} may set; the rest default to a first attempt with no request behind it. */
export interface FunctionContextInit {
  readonly attempt?: number;
  readonly deadline?: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly shard?: ShardInfo;
  readonly event?: { readonly id: string; readonly attempt: number };
  /** Lowest level the logger records (default `'trace'`: everything). */
  readonly logLevel?: LogThreshold;
}

/**
 * A context for running a handler directly (unit tests of functions, tools): read what it logged from `records`
 * and what it emitted from `emitted`. Pure.
 */
export function createFunctionContext(name: string, init: FunctionContextInit = {}): CallContext {
  return new CallContext(
    name,
    init.attempt ?? 1,
    init.deadline ?? 0,
    init.correlationId ?? '',
    init.causationId ?? '',
    init.traceparent ?? '',
    init.metadata ?? NO_METADATA,
    init.shard ?? NO_SHARD,
    init.event,
    init.logLevel ?? 'trace',
  );
}
