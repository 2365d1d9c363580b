/**
 * The I/O half of configuration: the `lucent-node` command line (commander), the environment and the config
 * file are read here and handed to the pure {@link resolveNodeConfig}.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { Command, Option } from 'commander';
import { CONFIG_FLAG, defaultNodeConfig, NODE_OPTION_SPECS, type NodeConfig } from './node-config.js';
import { configPathFrom, resolveNodeConfig } from './resolve-config.js';

/** Where commander writes help and usage errors; the CLI passes process streams, tests collect strings. */
export interface CommandOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/**
 * The `lucent-node` command: every option of {@link NODE_OPTION_SPECS} plus `--config`, each with its
 * `LUCENT_*` variable shown in `--help`. Values are kept as raw strings here; {@link loadNodeConfig} validates.
 * Commander errors (unknown option, missing argument, `--help`) throw `CommanderError` instead of exiting.
 */
export function buildCommand(output: CommandOutput): Command {
  const command = new Command('lucent-node')
    .description('Run one Lucent shard node: function pool, function actors, HTTP health and metrics.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.writeOut(text), writeErr: (text) => output.writeErr(text) })
    .showHelpAfterError('(run lucent-node --help for every option)');
  const defaults: Readonly<Record<string, unknown>> = defaultNodeConfig({ cpuCount: availableParallelism() });
  for (const spec of NODE_OPTION_SPECS) {
    const option = new Option(spec.flag, spec.description).env(spec.env);
    // Shown in --help only (one default per option): values whose source is not the command line are
    // ignored by loadNodeConfig.
    const fallback = defaults[spec.key];
    if (spec.defaultLabel !== undefined) option.default(fallback, spec.defaultLabel);
    // An empty string is "not set" (credentials, TLS files): no default to show.
    else if ((typeof fallback === 'string' && fallback !== '') || typeof fallback === 'number')
      option.default(fallback);
    command.addOption(option);
  }
  command.addOption(new Option(CONFIG_FLAG.flag, 'JSON config file with the keys listed below').env(CONFIG_FLAG.env));
  command.version(nodePackageVersion(), '-V, --version', 'print the version of @lucent/node and exit');
  command.addHelpText(
    'after',
    '\nPrecedence: flags > LUCENT_* environment > config file > defaults.\n' +
      `Config file keys (JSON object): ${NODE_OPTION_SPECS.map((spec) => spec.key).join(', ')}.\n` +
      'TypeScript modules: node --import tsx node_modules/.bin/lucent-node --functions ./fns.ts (workers use the same loader).\n' +
      'Exit codes: 0 after a graceful shutdown (SIGTERM/SIGINT) or --help; 2 for invalid options; ' +
      '1 when startup fails; 3 after a fatal stop (the function pool kept dying past its restart budget; ' +
      'logged as node.fatal); 130 when a second signal interrupts the shutdown.',
  );
  return command;
}

/** The `version` of the installed @lucent/node (its package.json, one folder above `dist/` or `src/`). */
export function nodePackageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export interface LoadConfigOptions {
  /** Arguments after the script, e.g. `process.argv.slice(2)`. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly output: CommandOutput;
  /** Base of a relative `--config` path (default `process.cwd()`). */
  readonly cwd?: string;
}

/**
 * Parses the command line, reads the config file if one is named, and resolves the configuration. Throws
 * `CommanderError` for usage errors and `--help` (already written to `output`), `ConfigError` for invalid values
 * (field = the config key) and for a config file that cannot be read (field `config`).
 */
export async function loadNodeConfig(options: LoadConfigOptions): Promise<NodeConfig> {
  const command = buildCommand(options.output);
  command.parse([...options.args], { from: 'user' });
  const flags: Record<string, unknown> = {};
  const opts = command.opts();
  // Commander also reads the environment (so that --help documents the variables); the pure merge reads it
  // again itself, so only values that came from the command line are taken here.
  for (const [key, value] of Object.entries(opts)) {
    if (command.getOptionValueSource(key) === 'cli') flags[key] = value;
  }
  const configPath = configPathFrom(flags[CONFIG_FLAG.key], options.env);
  delete flags[CONFIG_FLAG.key];
  let file: unknown;
  let fileBaseDir: string | undefined;
  if (configPath !== undefined) {
    const absolute = resolve(options.cwd ?? process.cwd(), configPath);
    file = await readConfigFile(absolute);
    fileBaseDir = dirname(absolute);
  }
  const config = resolveNodeConfig({
    flags,
    env: options.env,
    file,
    ...(fileBaseDir === undefined ? {} : { fileBaseDir }),
    machine: { cpuCount: availableParallelism() },
  });
  const cwd = options.cwd ?? process.cwd();
  return { ...config, functions: existingPaths(config.functions, cwd), actors: existingPaths(config.actors, cwd) };
}

/**
 * `import()` reads `fns/math.mjs` as a package name; on a command line it almost always means a file. An entry
 * that is neither a URL, nor absolute, nor `./`-relative, and names an existing file under `cwd`, becomes that
 * file's absolute path; anything else is left for `import()` to resolve (a package).
 */
function existingPaths(modules: readonly string[], cwd: string): readonly string[] {
  return modules.map((module) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(module) || isAbsolute(module) || module.startsWith('.')) return module;
    const candidate = resolve(cwd, module);
    return existsSync(candidate) ? candidate : module;
  });
}

async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new ConfigError({ subject: 'lucent-node option --config', field: 'config', reason }, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const reason = `${path} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new ConfigError({ subject: 'lucent-node option --config', field: 'config', reason }, { cause });
  }
}
