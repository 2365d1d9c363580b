/**
 * Reading one raw option value into its typed form. Pure: no process, no file system. Every bad value becomes
 * a `ConfigError` whose `field` is the option's config key and whose `subject` names the flag and where the
 * value came from, so the CLI can print one clear line.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { LOG_LEVELS, type LogLevel, type NodeOptionSpec } from './node-config.js';

/** Where a raw value came from, in precedence order (flags win). */
export type ConfigSource = 'flag' | 'env' | 'file';

/** A typed option value. */
export type OptionValue = string | number | readonly string[] | LogLevel;

// One NATS subject token: the node id and cluster end up in subjects.
const TOKEN = /^[A-Za-z0-9_-]+$/;
const INTEGER = /^-?\d+$/;

/** The flag's long name without its argument, e.g. `--http-port`. */
export function flagName(spec: NodeOptionSpec): string {
  return spec.flag.split(' ')[0] as string;
}

function describeSource(spec: NodeOptionSpec, source: ConfigSource): string {
  if (source === 'flag') return `option ${flagName(spec)}`;
  if (source === 'env') return `option ${flagName(spec)} (from ${spec.env})`;
  return `option ${flagName(spec)} (from config file key '${spec.key}')`;
}

/** The `ConfigError` for a bad value of `spec` from `source`. */
export function optionError(spec: NodeOptionSpec, source: ConfigSource, reason: string): ConfigError {
  return new ConfigError({ subject: `lucent-node ${describeSource(spec, source)}`, field: spec.key, reason });
}

/**
 * Reads `raw` as the value of `spec`. Strings (flags, environment) and JSON values (config file) are both
 * accepted: a list may be a comma-separated string or an array of strings (a repeated or variadic flag gives an
 * array too), an integer may be a number or a string of digits. `baseDir` resolves relative module paths of a
 * config file against its folder; flags and environment leave them to the process's cwd.
 * Throws `ConfigError` (field = `spec.key`) for a value of the wrong type, out of bounds, or malformed.
 */
export function parseOptionValue(
  spec: NodeOptionSpec,
  raw: unknown,
  source: ConfigSource,
  baseDir?: string,
): OptionValue {
  switch (spec.kind) {
    case 'token':
      return parseToken(spec, raw, source);
    case 'int':
      return parseInteger(spec, raw, source);
    case 'level':
      return parseLevel(spec, raw, source);
    case 'list':
      return parseList(spec, raw, source, baseDir);
    case 'choice':
      return parseChoice(spec, raw, source);
    case 'path':
      return parsePath(spec, raw, source, baseDir);
    case 'text':
      return parseText(spec, raw, source);
  }
}

function parseText(spec: NodeOptionSpec, raw: unknown, source: ConfigSource): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw optionError(spec, source, `must be a non-empty string, got ${quote(raw)}`);
  }
  if (/\s/.test(raw)) throw optionError(spec, source, `'${raw}' contains whitespace`);
  return raw;
}

function parsePath(spec: NodeOptionSpec, raw: unknown, source: ConfigSource, baseDir: string | undefined): string {
  const path = parseText(spec, raw, source);
  return baseDir !== undefined && !isAbsolute(path) ? resolve(baseDir, path) : path;
}

function parseToken(spec: NodeOptionSpec, raw: unknown, source: ConfigSource): string {
  if (typeof raw !== 'string') throw optionError(spec, source, `must be a string, got ${typeOf(raw)}`);
  if (!TOKEN.test(raw)) throw optionError(spec, source, `'${raw}' must match ${TOKEN.source}`);
  return raw;
}

function parseInteger(spec: NodeOptionSpec, raw: unknown, source: ConfigSource): number {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && INTEGER.test(raw.trim())) value = Number(raw.trim());
  else throw optionError(spec, source, `must be an integer, got ${quote(raw)}`);
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw optionError(spec, source, `must be an integer in [${min}, ${max}], got ${quote(raw)}`);
  }
  return value;
}

function parseLevel(spec: NodeOptionSpec, raw: unknown, source: ConfigSource): LogLevel {
  if (typeof raw === 'string' && (LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw optionError(spec, source, `must be one of ${LOG_LEVELS.join(', ')}, got ${quote(raw)}`);
}

function parseChoice(spec: NodeOptionSpec, raw: unknown, source: ConfigSource): string {
  const choices = spec.choices ?? [];
  if (typeof raw === 'string' && choices.includes(raw)) return raw;
  throw optionError(spec, source, `must be one of ${choices.join(', ')}, got ${quote(raw)}`);
}

function parseList(spec: NodeOptionSpec, raw: unknown, source: ConfigSource, baseDir: string | undefined): string[] {
  let parts: unknown[];
  if (typeof raw === 'string') parts = raw.split(',');
  else if (Array.isArray(raw)) parts = raw.flatMap((item) => (typeof item === 'string' ? item.split(',') : [item]));
  else throw optionError(spec, source, `must be a comma-separated string or an array of strings, got ${typeOf(raw)}`);
  const values: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') throw optionError(spec, source, `entries must be strings, got ${typeOf(part)}`);
    const entry = part.trim();
    if (entry === '') throw optionError(spec, source, 'has an empty entry');
    if (/\s/.test(entry)) throw optionError(spec, source, `entry '${entry}' contains whitespace`);
    values.push(spec.modules === true && baseDir !== undefined ? resolveModule(entry, baseDir) : entry);
  }
  return values;
}

/** Relative paths (`./x.mjs`, `../x.mjs`) against `baseDir`; absolute paths, URLs and bare specifiers as they are. */
function resolveModule(entry: string, baseDir: string): string {
  if (entry.startsWith('./') || entry.startsWith('../')) return resolve(baseDir, entry);
  if (isAbsolute(entry)) return entry;
  return entry;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeOf(value) === 'number' ? String(value) : typeOf(value);
}
