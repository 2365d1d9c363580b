/**
 * `lucent drain <node>`: the operator's scale-in. The node leaves the ring, finishes its in-flight calls, hands
 * every actor off with its state (final save, lease released) and exits 0, as Akka's and Orleans' graceful leave
 * does; the command prints what moved and where.
 *
 * ```
 *  lucent ─ { op: 'drain' } ─► node: leave ─► drain calls ─► stop actors (saved, leases released)
 *         ◄─ DrainReport ─────┘                                 └► reply ─► pool, transport close ─► exit 0
 * ```
 * Exit 1 when the node is not a live member (`LUCENT_NODE_UNAVAILABLE`), is already shutting down
 * (`LUCENT_SHUTTING_DOWN`), or could not save every actor within its drain timeout.
 */
import { NodeUnavailableError } from '@lucent/core/internal';
import type { Command } from 'commander';
import type { DrainReport } from '../shard/drain-report.js';
import { jsonText } from './admin-format.js';
import type { AdminKit } from './inspect-commands.js';
import { askNode } from './node-admin-client.js';

/** Default bound of the drain request: the node waits up to `--drain-timeout-ms` per step of its shutdown. */
export const DEFAULT_DRAIN_REQUEST_TIMEOUT_MS = 120_000;

export function addDrainCommand(program: Command, kit: AdminKit): void {
  program
    .command('drain')
    .description('make a node leave the ring, hand its actors off with their state, and exit')
    .argument('<node>', 'node id (lucent nodes lists them)')
    .action(async (node: string, _options: unknown, command: Command) => {
      const timeoutMs = command.optsWithGlobals<{ timeoutMs?: string }>().timeoutMs;
      await kit.withCluster(command, async (cluster) => {
        await kit.settledMembers(command, cluster);
        const name = kit.cluster(command);
        if (!cluster.view.byId.has(node)) {
          throw new NodeUnavailableError({ node, reason: `not a live member of cluster '${name}'` });
        }
        const report = await askNode<DrainReport>(
          cluster.client.transport,
          name,
          node,
          { op: 'drain' },
          timeoutMs === undefined ? DEFAULT_DRAIN_REQUEST_TIMEOUT_MS : Number(timeoutMs),
        );
        kit.print(kit.json(command) ? jsonText(report, true) : drainText(report));
        if (report.actorsSaved < report.total) kit.fail();
      });
    });
}

/** The report for people: one summary line, then one line per actor moved. */
export function drainText(report: DrainReport): string {
  const lines = [
    `${report.node} drained: ${report.total} actors handed off (${report.actorsSaved} saved), ` +
      `${report.callsDrained} calls finished, ${report.callsLeft} cut off`,
  ];
  for (const actor of report.actors) lines.push(`  ${actor.type}/${actor.id} -> ${actor.to ?? '(no host left)'}`);
  if (report.actors.length < report.total) lines.push(`  … and ${report.total - report.actors.length} more`);
  return lines.join('\n');
}
