/**
 * The deployed registry's `lucent` commands:
 *
 * ```
 *  lucent deploy <entry> [--name n] [--version v] [--weight w] [--tags eu,us] [--disabled]
 *  lucent functions                           every deployed version: weight, tags, enabled, loaded on which nodes
 *  lucent enable  <fn[@version]> [--tags eu]  on (for everyone, or again for callers tagged eu)
 *  lucent disable <fn[@version]> [--tags eu]  off (for everyone, or for callers tagged eu)
 *  lucent weight  <fn@version> <w>            traffic share among the versions a caller may reach
 *  lucent rollback <fn>                       newest enabled version off, the one before it on
 * ```
 * `enable`, `disable` and `rollback` take `actor:<type>[@version]` for a deployed actor type (the newest enabled
 * version is what new activations use).
 * Each change is one compare-and-set KV revision: an operator who loses a race gets `LUCENT_CONFLICT` (exit 1)
 * and changes nothing. Rows are built by the pure `registryRows` below; the table by cli-table3.
 */

import type { ClusterView } from '@lucent/core/internal';
import { type Clock, ConfigError, DEFAULT_CLUSTER } from '@lucent/core/internal';
import Table from 'cli-table3';
import { type Command, Option } from 'commander';
import type { NatsConnection } from 'nats';
import type { ClusterClient } from '../client/cluster-client.js';
import { type ActorRecord, rollbackActor, setActorEnabled } from '../registry/actor-record.js';
import { deployModule } from '../registry/deploy.js';
import type { FunctionRecord } from '../registry/function-record.js';
import { defaultModuleCacheDir } from '../registry/module-bundle.js';
import { type RecordEdit, rollback, setEnabled, setWeight } from '../registry/registry-edits.js';
import { collectRegistryStats, type VersionRate, versionRates } from '../registry/registry-stats.js';
import { RegistryStore } from '../registry/registry-store.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { jsonText } from './admin-format.js';

/** What the commands need from the program (`admin-program.ts`). */
export interface RegistryCommandParts {
  readonly withCluster: (command: Command, work: (cluster: ClusterClient) => Promise<void>) => Promise<void>;
  readonly settledMembers: (command: Command, cluster: ClusterClient) => Promise<void>;
  readonly print: (text: string) => void;
  readonly json: (command: Command) => boolean;
  readonly clusterName: (command: Command) => string | undefined;
  /** An error reported as a usage error (exit 2). */
  readonly usage: (message: string) => Error;
  readonly clock: Clock;
  /** Waits `ms` on the CLI's clock. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** How long `lucent functions` waits for the nodes' counters, per sample. */
const STATS_WAIT_MS = 300;

/** One row of `lucent functions`. */
export interface FunctionVersionRow {
  readonly function: string;
  readonly version: string;
  readonly weight: number;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly disabledFor: readonly string[];
  readonly loadedOn: readonly string[];
  readonly checksum: string;
  readonly deployedBy: string;
  readonly deployedAt: string;
  /** Calls/s over the sampling window, summed over the nodes (0 when nobody answered). */
  readonly callsPerSecond: number;
  /** Failed / all calls over the window. */
  readonly errorRate: number;
}

/**
 * The rows of `lucent functions`: one per deployed version, loaded-on from the nodes' heartbeats, rates from
 * the nodes' counters (`registry-stats.ts`). Pure.
 */
export function registryRows(
  records: readonly FunctionRecord[],
  view: ClusterView,
  rates: ReadonlyMap<string, VersionRate> = new Map(),
): FunctionVersionRow[] {
  return records.flatMap((record) =>
    record.versions.map((v) => ({
      function: record.name,
      version: v.version,
      weight: v.weight,
      tags: v.tags,
      enabled: v.enabled,
      disabledFor: v.disabledTags,
      loadedOn: view.members
        .filter((m) => m.modules?.includes(`fn:${record.name}@${v.version}`) === true)
        .map((m) => m.id),
      checksum: v.checksum,
      deployedBy: v.deployedBy,
      deployedAt: v.deployedAt,
      callsPerSecond: rates.get(`${record.name}@${v.version}`)?.callsPerSecond ?? 0,
      errorRate: rates.get(`${record.name}@${v.version}`)?.errorRate ?? 0,
    })),
  );
}

function registryTable(rows: readonly FunctionVersionRow[]): string {
  if (rows.length === 0) return 'no deployed functions';
  const table = new Table({
    head: [
      'function',
      'version',
      'weight',
      'tags',
      'enabled',
      'loaded on',
      'calls/s',
      'errors',
      'checksum',
      'deployed',
    ],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const enabled = !r.enabled ? 'no' : r.disabledFor.length > 0 ? `yes (not ${r.disabledFor.join(',')})` : 'yes';
    table.push([
      r.function,
      r.version,
      String(r.weight),
      r.tags.length === 0 ? '*' : r.tags.join(','),
      enabled,
      r.loadedOn.join(',') || '-',
      r.callsPerSecond.toFixed(1),
      `${(r.errorRate * 100).toFixed(1)} %`,
      r.checksum.slice(0, 12),
      `${r.deployedAt} ${r.deployedBy}`,
    ]);
  }
  return table.toString();
}

function tagList(raw: string | undefined): string[] {
  return raw === undefined
    ? []
    : raw
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== '');
}

/** How a command argument names an actor type instead of a function: `actor:<type>[@version]`. */
const ACTOR_REF = 'actor:';

/** A change's outcome (function or actor record). */
type RecordChange = { readonly record: ActorRecord; readonly changed: boolean };

/** `fn` or `fn@version`. */
function parseRef(ref: string): { name: string; version: string | undefined } {
  const at = ref.indexOf('@');
  return at < 0 ? { name: ref, version: undefined } : { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** The name `lucent deploy`'s `--version` goes by inside the program (see {@link deployArgs}). */
const DEPLOY_VERSION_FLAG = '--deploy-version';

/**
 * `args` with a `--version` after the `deploy` command renamed to its inside name: the program's own
 * `--version` (print the CLI's version) would otherwise take it wherever it stands. Pure.
 */
export function deployArgs(args: readonly string[]): string[] {
  const deploy = args.indexOf('deploy');
  if (deploy < 0) return [...args];
  return args.map((arg, i) => {
    if (i <= deploy) return arg;
    if (arg === '--version') return DEPLOY_VERSION_FLAG;
    return arg.startsWith('--version=') ? `${DEPLOY_VERSION_FLAG}=${arg.slice('--version='.length)}` : arg;
  });
}

/** Adds the registry commands to `program`. */
export function addRegistryCommands(program: Command, parts: RegistryCommandParts): void {
  const withStore = (
    command: Command,
    work: (store: RegistryStore, cluster: ClusterClient, nc: NatsConnection) => Promise<void>,
  ) =>
    parts.withCluster(command, async (cluster) => {
      const transport = cluster.client.transport;
      if (!(transport instanceof NatsTransport)) throw new TypeError('the registry needs NATS');
      const store = await RegistryStore.open(transport.natsConnection, {
        cluster: parts.clusterName(command) ?? DEFAULT_CLUSTER,
      });
      await work(store, cluster, transport.natsConnection);
    });

  /** One registry change on `fn`'s record, printed. */
  const change = (command: Command, name: string, edit: (record: FunctionRecord) => RecordEdit) =>
    withStore(command, async (store) => {
      const result = await store.modify(name, (record) => {
        if (record === undefined) {
          throw new ConfigError({ subject: `fn:${name}`, field: 'name', reason: 'no deployed function by that name' });
        }
        return edit(record);
      });
      const summary = { function: name, changed: result.changed, revision: result.revision };
      parts.print(
        parts.json(command)
          ? jsonText(summary, true)
          : result.changed
            ? `${name}: registry revision ${result.revision}`
            : `${name}: unchanged`,
      );
    });

  /** One registry change on actor type `type`'s record, printed. */
  const changeActor = (command: Command, type: string, edit: (record: ActorRecord) => RecordChange) =>
    withStore(command, async (store) => {
      const result = await store.modifyActor(type, (record) => {
        if (record === undefined) {
          throw new ConfigError({
            subject: `actor:${type}`,
            field: 'type',
            reason: 'no deployed actor type by that name',
          });
        }
        return edit(record);
      });
      const summary = { actor: type, changed: result.changed, revision: result.revision };
      parts.print(
        parts.json(command)
          ? jsonText(summary, true)
          : result.changed
            ? `actor:${type}: registry revision ${result.revision}`
            : `actor:${type}: unchanged`,
      );
    });

  program
    .command('deploy')
    .description('bundle a module (TypeScript ok) and deploy its functions and actor types as new versions')
    .argument('<entry>', 'the module entry file')
    .option('--name <name>', 'deploy the one function of the module under this name')
    // `--version` is the program's own flag (commander reads it anywhere): `deployArgs` renames it for deploy.
    .addOption(new Option(`${DEPLOY_VERSION_FLAG} <version>`).hideHelp())
    .addHelpText('after', '\n  --version <version>  deploy as this version (default: the definition’s own)')
    .option('--weight <w>', 'traffic weight of the new version (default 100)')
    .option(
      '--tags <tags>',
      'functions: serve only callers with one of these tags; actor types: hosted by nodes with one',
    )
    .option('--disabled', 'record the version disabled')
    .action(
      async (
        entry: string,
        local: { name?: string; deployVersion?: string; weight?: string; tags?: string; disabled?: boolean },
        command: Command,
      ) => {
        const weight = local.weight === undefined ? undefined : Number(local.weight);
        if (weight !== undefined && !(Number.isFinite(weight) && weight >= 0)) {
          throw parts.usage(`--weight must be a number ≥ 0, got '${local.weight}'`);
        }
        await withStore(command, async (store) => {
          const result = await deployModule(store, {
            entry,
            cacheDir: defaultModuleCacheDir(),
            ...(local.name === undefined ? {} : { name: local.name }),
            ...(local.deployVersion === undefined ? {} : { version: local.deployVersion }),
            ...(weight === undefined ? {} : { weight }),
            ...(local.tags === undefined ? {} : { tags: tagList(local.tags) }),
            ...(local.disabled === true ? { disabled: true } : {}),
          });
          const lines = [
            ...result.functions.map((f) => ({ ...f, ref: `${f.name}@${f.version}` })),
            ...result.actors.map((a) => ({ ...a, ref: `actor:${a.name}@${a.version}` })),
          ].map((d) => `${d.ref} ${d.changed ? 'deployed' : 'already deployed (unchanged)'}`);
          parts.print(
            parts.json(command)
              ? jsonText(result, true)
              : `${lines.join('\n')}\nmodule sha256 ${result.checksum} (${result.bytes} bytes)`,
          );
        });
      },
    );

  program
    .command('functions')
    .description(
      'list deployed functions: versions, weights, tags, enabled, which nodes loaded them, calls/s and error rate',
    )
    .option('--sample-ms <ms>', 'window over which calls/s and the error rate are measured', '1000')
    .action(async (local: { sampleMs: string }, command: Command) => {
      const sampleMs = Number(local.sampleMs);
      if (!(Number.isFinite(sampleMs) && sampleMs > 0)) {
        throw parts.usage(`--sample-ms must be a positive number, got '${local.sampleMs}'`);
      }
      await withStore(command, async (store, cluster, nc) => {
        await parts.settledMembers(command, cluster);
        const clusterName = parts.clusterName(command) ?? DEFAULT_CLUSTER;
        const before = await collectRegistryStats(nc, clusterName, STATS_WAIT_MS);
        const t0 = parts.clock.now();
        await parts.sleep(sampleMs);
        const after = await collectRegistryStats(nc, clusterName, STATS_WAIT_MS);
        const rates = versionRates(before, after, parts.clock.now() - t0);
        const rows = registryRows(
          (await store.list()).map((stored) => stored.record),
          cluster.view,
          rates,
        );
        parts.print(parts.json(command) ? jsonText(rows, true) : registryTable(rows));
      });
    });

  for (const enabled of [true, false]) {
    program
      .command(enabled ? 'enable' : 'disable')
      .description(
        enabled
          ? 'enable a function version (or all versions), for everyone or again for callers with --tags'
          : 'disable a function version (or all versions), for everyone or for callers with --tags',
      )
      .argument('<fn>', 'fn or fn@version (actor:<type>[@version] for an actor type)')
      .option('--tags <tags>', 'only for callers with these tags (comma-separated; functions only)')
      .action(async (ref: string, local: { tags?: string }, command: Command) => {
        if (ref.startsWith(ACTOR_REF)) {
          if (local.tags !== undefined) throw parts.usage('--tags applies to functions, not actor types');
          const { name, version } = parseRef(ref.slice(ACTOR_REF.length));
          await changeActor(command, name, (record) => setActorEnabled(record, version, enabled));
          return;
        }
        const { name, version } = parseRef(ref);
        await change(command, name, (record) => setEnabled(record, version, enabled, tagList(local.tags)));
      });
  }

  program
    .command('weight')
    .description('set the traffic weight of a function version')
    .argument('<fn@version>', 'the version')
    .argument('<w>', 'weight ≥ 0')
    .action(async (ref: string, raw: string, _options: unknown, command: Command) => {
      const { name, version } = parseRef(ref);
      if (version === undefined) throw parts.usage(`weight needs fn@version, got '${ref}'`);
      const weight = Number(raw);
      if (!(Number.isFinite(weight) && weight >= 0)) throw parts.usage(`weight must be a number ≥ 0, got '${raw}'`);
      await change(command, name, (record) => setWeight(record, version, weight));
    });

  program
    .command('rollback')
    .description('disable the newest enabled version of a function (or actor:<type>) and enable the one before it')
    .argument('<fn>', 'function name, or actor:<type>')
    .action(async (name: string, _options: unknown, command: Command) => {
      if (name.startsWith(ACTOR_REF)) {
        await changeActor(command, name.slice(ACTOR_REF.length), (record) => rollbackActor(record));
        return;
      }
      await change(command, name, (record) => rollback(record));
    });
}
