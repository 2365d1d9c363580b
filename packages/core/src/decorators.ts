/**
 * TC39 (standard, not `experimentalDecorators`) method decorators: sugar over the metadata of
 * {@link defineFunction}, for authors who group functions as methods of a class.
 *
 * ```ts
 * class Pricing {
 *   @handles('OrderPlaced') @shardBy('order.customerId') @resources({ cpu: 'high' })
 *   price(ctx: FunctionContext, input: Order) { ... }
 *
 *   @route(pin('protocol'))                      // any strategy: hash, sticky, pin, range, roundRobin, leastLoaded
 *   quote(ctx: FunctionContext, input: Quote) { ... }
 *
 *   @lucentFunction({ name: 'quote', version: '2' })
 *   static quoteV2(ctx: FunctionContext, input: Quote) { ... }
 * }
 * functionsOf(Pricing); // [price@1, quote@2] as FunctionDefinitions
 * ```
 *
 * Decorators only record metadata (in `context.metadata`); nothing is validated until {@link functionsOf} turns
 * the records into definitions through `defineFunction`, so both paths share one validation and one set of
 * `ConfigError` fields. A method is a function when at least one of these decorators is on it; its name is the
 * method name (a private `#name` loses its `#`) unless `@lucentFunction({ name })` says otherwise.
 */

import { defineFunction, type FunctionContext, type FunctionDefinition, type FunctionOptions } from './definition.js';
import { ConfigError } from './errors.js';
import type { ResourceSpec } from './resources.js';
import type { AnyRoutingStrategy } from './routing/strategy.js';

// Node 20 has no `Symbol.metadata`, and without it both tsc's and esbuild's decorator helpers pass
// `context.metadata === undefined`. This must run before any decorated class is evaluated, which ESM ordering
// guarantees: a module that uses these decorators imports this one, so this body runs first. `Symbol.for`
// matches the fallback esbuild's helper uses, so classes compiled either way share one key.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

/** Key under which a class's metadata object holds its own method records. */
const RECORDS_KEY = Symbol.for('lucent.functions');

/** What the decorators collect for one method. */
interface MethodRecord {
  readonly method: string | symbol;
  readonly isStatic: boolean;
  readonly get: (receiver: unknown) => unknown;
  readonly options: { -readonly [K in keyof FunctionOptions]?: FunctionOptions[K] };
  readonly handles: string[];
}

/**
 * A method that can serve as a function handler: `(ctx, input) => output` (either parameter may be left out).
 * Written as a method type so any input type is accepted (method parameters are bivariant).
 */
export type FunctionMethod<This = unknown> = {
  handler(this: This, ctx: FunctionContext, input: unknown): unknown;
}['handler'];

/** The parts of a method decorator's context this module reads, whatever the class and method types. */
interface MethodContext {
  readonly name: string | symbol;
  readonly static: boolean;
  readonly metadata: DecoratorMetadata | undefined;
  readonly access: { get(object: never): unknown };
}

/** The shape of every decorator this module returns. */
export type FunctionMethodDecorator = <This, M extends FunctionMethod<This>>(
  method: M,
  context: ClassMethodDecoratorContext<This, M>,
) => void;

/** Options of {@link lucentFunction}: any part of the `defineFunction` metadata, `name` included. */
export type FunctionMethodOptions = Partial<FunctionOptions>;

/** Marks the method as handling these event types; repeatable, and the lists add up. */
export function handles(...eventTypes: string[]): FunctionMethodDecorator {
  return (_method, context) => {
    // Decorators apply bottom-up; prepending keeps the list in source order.
    recordOf(context).handles.unshift(...eventTypes);
  };
}

/** Sets the dotted input field whose value picks the shard. Throws `ConfigError` if set twice on one method. */
export function shardBy(field: string): FunctionMethodDecorator {
  return (_method, context) => setOnce(recordOf(context), 'shardBy', field);
}

/**
 * Sets the routing strategy (`@route(pin('protocol'))`, `@route(roundRobin())`, or `'queue'`); see
 * `FunctionOptions.routing`. Throws `ConfigError` if set twice on one method.
 */
export function route(strategy: AnyRoutingStrategy | 'queue'): FunctionMethodDecorator {
  return (_method, context) => setOnce(recordOf(context), 'routing', strategy);
}

/** Sets the resource needs (validated later by `functionsOf`). Throws `ConfigError` if set twice on one method. */
export function resources(spec: ResourceSpec): FunctionMethodDecorator {
  return (_method, context) => setOnce(recordOf(context), 'resources', spec);
}

/**
 * Marks the method as a function and sets any of its metadata (`name`, `version`, `retry`, ...). Needed for a
 * method that has no other metadata. Throws `ConfigError` if a field is also set by another decorator, except
 * `handles`, which adds up.
 */
export function lucentFunction(options: FunctionMethodOptions = {}): FunctionMethodDecorator {
  return (_method, context) => {
    const record = recordOf(context);
    for (const [key, value] of Object.entries(options) as [keyof FunctionOptions, unknown][]) {
      if (key === 'handles') record.handles.unshift(...(typeof value === 'string' ? [value] : (value as string[])));
      else setOnce(record, key, value);
    }
  };
}

/**
 * The definitions of every decorated method of a class (instance and static methods, inherited ones too, a
 * subclass's record replacing its parent's for the same method). Given a class, instance methods are bound to one
 * instance made with `new Class()` (no arguments), made only when the class has decorated instance methods; pass
 * an instance to control construction. Static methods are bound to the class. Returns `[]` for an undecorated
 * class or a plain object. Throws `ConfigError` for invalid metadata, exactly as `defineFunction` would.
 * Order: ancestors' methods first; within a class, static methods then instance methods, each in source order
 * (the order the decorator spec applies them). Each call builds new definitions.
 */
export function functionsOf(target: object): readonly FunctionDefinition[] {
  return buildAll(target).map((built) => built.definition);
}

type MethodInput<M> = M extends (ctx: FunctionContext, input: infer I) => unknown ? I : never;
type MethodOutput<M> = M extends (...args: never[]) => infer R ? Awaited<R> : never;

/**
 * The typed definition of one decorated method: `method` of an instance (an instance method) or of a class (a
 * static method). Throws `ConfigError` (field `handler`) when that method carries no Lucent decorator.
 */
export function functionOf<T extends object, K extends keyof T & (string | symbol)>(
  target: T,
  method: K,
): FunctionDefinition<MethodInput<T[K]>, MethodOutput<T[K]>> {
  const isStatic = typeof target === 'function';
  const found = buildAll(target).find((b) => b.record.method === method && b.record.isStatic === isStatic);
  if (found === undefined) {
    throw new ConfigError({ subject: `fn:${String(method)}`, field: 'handler', reason: 'method is not decorated' });
  }
  return found.definition as FunctionDefinition<MethodInput<T[K]>, MethodOutput<T[K]>>;
}

/** True when `value` is a class, or an instance of a class, with at least one decorated method. */
export function hasDecoratedFunctions(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  return recordsOf(typeof value === 'function' ? value : value.constructor).length > 0;
}

function recordOf(context: MethodContext): MethodRecord {
  const metadata = context.metadata as Record<symbol, unknown> | undefined;
  if (metadata === undefined) {
    // Only possible when a decorated class was evaluated before this module (see the polyfill above).
    throw new ConfigError({ subject: `fn:${String(context.name)}`, field: 'decorators', reason: 'no Symbol.metadata' });
  }
  // A subclass's metadata inherits from its parent's by prototype; keep records per class.
  if (!Object.hasOwn(metadata, RECORDS_KEY)) metadata[RECORDS_KEY] = [];
  const records = metadata[RECORDS_KEY] as MethodRecord[];
  let record = records.find((r) => r.method === context.name && r.isStatic === context.static);
  if (record === undefined) {
    const get = context.access.get as (receiver: unknown) => unknown;
    record = { method: context.name, isStatic: context.static, get, options: {}, handles: [] };
    records.push(record);
  }
  return record;
}

function setOnce(record: MethodRecord, key: keyof FunctionOptions, value: unknown): void {
  if (record.options[key] !== undefined) {
    throw new ConfigError({ subject: `fn:${String(record.method)}`, field: key, reason: 'set twice on one method' });
  }
  (record.options as Record<string, unknown>)[key] = value;
}

/** Records of a class and its ancestors, ancestors first, a subclass's record replacing its parent's. */
function recordsOf(ctor: unknown): readonly MethodRecord[] {
  const chain: MethodRecord[][] = [];
  let metadata = (ctor as Record<symbol, unknown> | null | undefined)?.[Symbol.metadata] as object | null | undefined;
  while (metadata !== null && metadata !== undefined) {
    if (Object.hasOwn(metadata, RECORDS_KEY)) chain.unshift((metadata as Record<symbol, MethodRecord[]>)[RECORDS_KEY]!);
    metadata = Object.getPrototypeOf(metadata) as object | null;
  }
  const merged = new Map<string, MethodRecord>();
  for (const records of chain) {
    for (const r of records) merged.set(`${r.isStatic ? 's' : 'i'}:${String(r.method)}`, r);
  }
  return [...merged.values()];
}

interface Built {
  readonly record: MethodRecord;
  readonly definition: FunctionDefinition;
}

function buildAll(target: object): readonly Built[] {
  const isClass = typeof target === 'function';
  const ctor = isClass ? target : target.constructor;
  const records = recordsOf(ctor);
  let instance: unknown = isClass ? undefined : target;
  if (isClass && records.some((r) => !r.isStatic)) instance = new (target as new () => unknown)();
  return records.map((record) => {
    const receiver = record.isStatic ? ctor : instance;
    const method = record.get(receiver);
    const fallbackName = typeof record.method === 'string' ? record.method.replace(/^#/, '') : undefined;
    const options = { ...record.options, name: record.options.name ?? fallbackName } as FunctionOptions;
    if (record.handles.length > 0) (options as { handles?: readonly string[] }).handles = record.handles;
    // Bound once here, so calls pay no per-call closure; defineFunction rejects a non-function as `handler`.
    const handler =
      typeof method === 'function' ? (method.bind(receiver) as (ctx: FunctionContext) => unknown) : method;
    return { record, definition: defineFunction(options, handler as (ctx: FunctionContext) => unknown) };
  });
}
