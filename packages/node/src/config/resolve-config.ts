/**
 * Merging the configuration layers of a shard node. Pure: the caller reads argv, the environment and the file.
 *
 * ```
 *  flags  >  LUCENT_* environment  >  config file (JSON)  >  defaults
 * ```
 * For each option the first layer that sets it wins, and only that value is validated (a flag can override a bad
 * environment variable). An empty environment variable counts as unset, as container tooling often sets `X=`.
 */
import { ConfigError } from '@lucent/core/internal';
import { parseEventSinks } from '../gateway/event-sink-routes.js';
import {
  CONFIG_FLAG,
  defaultNodeConfig,
  type MachineDefaults,
  NODE_OPTION_SPECS,
  type NodeConfig,
  type NodeConfigKey,
  type NodeOptionSpec,
} from './node-config.js';
import { type ConfigSource, type OptionValue, parseOptionValue } from './option-values.js';

/** The raw inputs of {@link resolveNodeConfig}. Every layer is optional except the machine defaults. */
export interface ConfigLayers {
  /** Values given on the command line, by config key (strings, or arrays of strings for repeated flags). */
  readonly flags?: Readonly<Partial<Record<NodeConfigKey, unknown>>>;
  /** An environment, e.g. `process.env`; only `LUCENT_*` variables of known options are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON of the config file: an object with config keys (`httpPort`, ...). */
  readonly file?: unknown;
  /** Folder of the config file: its relative module paths resolve against it. */
  readonly fileBaseDir?: string;
  readonly machine: MachineDefaults;
}

/**
 * The effective configuration. Throws `ConfigError` whose `field` is the config key: for a bad value in the
 * winning layer, an unknown key or a non-object in the config file, or a missing `shard` (field `shard`).
 * Idempotent and side-effect free.
 */
export function resolveNodeConfig(layers: ConfigLayers): NodeConfig {
  const file = fileValues(layers.file);
  const resolved: Record<string, OptionValue> = { ...defaultNodeConfig(layers.machine) };
  for (const spec of NODE_OPTION_SPECS) {
    const picked = pick(spec, layers, file);
    if (picked === undefined) continue;
    const baseDir = picked.source === 'file' ? layers.fileBaseDir : undefined;
    resolved[spec.key] = parseOptionValue(spec, picked.raw, picked.source, baseDir);
  }
  if (resolved.shard === undefined) {
    throw new ConfigError({
      subject: 'lucent-node option --shard',
      field: 'shard',
      reason: `is required (flag --shard, env LUCENT_SHARD or config file key 'shard')`,
    });
  }
  if ((resolved.leaseRenewIntervalMs as number) >= (resolved.leaseTtlMs as number)) {
    throw new ConfigError({
      subject: 'lucent-node option --lease-renew-interval-ms',
      field: 'leaseRenewIntervalMs',
      reason: `must be below --lease-ttl-ms (${String(resolved.leaseTtlMs)})`,
    });
  }
  // Each entry is pattern=url: a bad one is a usage error at start-up, not a failure later.
  parseEventSinks(resolved.eventSink as readonly string[]);
  return resolved as unknown as NodeConfig;
}

/**
 * The config file to read, if any: `--config` wins over `LUCENT_CONFIG`. Throws `ConfigError` (field `config`)
 * for a flag value that is not a non-empty string.
 */
export function configPathFrom(
  flagValue: unknown,
  env: Readonly<Record<string, string | undefined>> | undefined,
): string | undefined {
  if (flagValue !== undefined) {
    if (typeof flagValue === 'string' && flagValue !== '') return flagValue;
    throw new ConfigError({ subject: 'lucent-node option --config', field: 'config', reason: 'must be a file path' });
  }
  const fromEnv = env?.[CONFIG_FLAG.env];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function pick(
  spec: NodeOptionSpec,
  layers: ConfigLayers,
  file: Readonly<Record<string, unknown>>,
): { readonly raw: unknown; readonly source: ConfigSource } | undefined {
  const flag = layers.flags?.[spec.key];
  if (flag !== undefined) return { raw: flag, source: 'flag' };
  const env = layers.env?.[spec.env];
  if (env !== undefined && env !== '') return { raw: env, source: 'env' };
  const fromFile = file[spec.key];
  if (fromFile !== undefined) return { raw: fromFile, source: 'file' };
  return undefined;
}

const KNOWN_KEYS = new Set<string>(NODE_OPTION_SPECS.map((spec) => spec.key));

function fileValues(file: unknown): Readonly<Record<string, unknown>> {
  if (file === undefined) return {};
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new ConfigError({ subject: 'lucent-node config file', field: 'config', reason: 'must be a JSON object' });
  }
  for (const key of Object.keys(file)) {
    if (!KNOWN_KEYS.has(key)) {
      const known = NODE_OPTION_SPECS.map((spec) => spec.key).join(', ');
      throw new ConfigError({
        subject: 'lucent-node config file',
        field: key,
        reason: `unknown key (known: ${known})`,
      });
    }
  }
  return file as Record<string, unknown>;
}
