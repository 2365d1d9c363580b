/**
 * The `lucent` commands that look inside the nodes, through each node's admin subject:
 *
 * ```
 *  lucent status                               cluster, NATS and JetStream usage, and every node's own status
 *  lucent actors <type> [--node n]             active actors: id, node, lifecycle phase, state, mailbox, revision
 *  lucent actor <type> <id>                    one actor on its owner: phase, state, context, stored snapshot
 *  lucent actor <type> <id> pause|resume|stop  its lifecycle, from outside the process
 *  lucent watch <event-type> [--count n]       events as they are published (`>` and `*` wildcards work)
 * ```
 */
import { actorKey, type Clock, dottedEventType, EnvelopeCodec, PlacementType, placeActor } from '@lucent/core/internal';
import type { Command } from 'commander';
import type { ActorAnswer, ActorCommandAnswer, ActorsAnswer, NodeStatus } from '../admin-service/admin-protocol.js';
import { ACTOR_COMMANDS, type ActorCommand } from '../admin-service/admin-protocol.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { keepProcessAlive } from '../keep-alive.js';
import { natsServerInfo } from '../transport/nats-server-info.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { jsonText } from './admin-format.js';
import { actorRows, actorsTable, actorText, type ClusterStatus, statusRow, statusText } from './inspect-format.js';
import { askNode } from './node-admin-client.js';
import { watchFilter } from './watch-filter.js';

/** What the commands share with the rest of the program (`admin-program.ts`). */
export interface AdminKit {
  readonly clock: Clock;
  withCluster(command: Command, work: (cluster: ClusterClient) => Promise<void>): Promise<void>;
  settledMembers(command: Command, cluster: ClusterClient): Promise<void>;
  print(text: string): void;
  json(command: Command): boolean;
  cluster(command: Command): string;
  /** A usage error (exit 2) with this message. */
  usage(message: string): Error;
  fail(): void;
}

export function addInspectCommands(program: Command, kit: AdminKit): void {
  program
    .command('status')
    .description('the cluster at a glance: NATS and JetStream usage, and every node’s status')
    .action(async (_options: unknown, command: Command) => {
      await kit.withCluster(command, async (cluster) => {
        await kit.settledMembers(command, cluster);
        const name = kit.cluster(command);
        const view = cluster.view;
        const shares = view.members.length === 0 ? new Map<string, number>() : view.ring.shares();
        const nodes = await Promise.all(
          view.members.map(async (member) => {
            const answer = await askNode<NodeStatus>(cluster.client.transport, name, member.id, { op: 'status' }).catch(
              (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
            );
            return statusRow(member.id, member.tags, member.loadScore, shares.get(member.id) ?? 0, answer);
          }),
        );
        nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
        const transport = cluster.client.transport;
        const nats =
          transport instanceof NatsTransport
            ? await natsServerInfo(transport.natsConnection, 2_000)
            : { server: 'in-memory', version: '-' };
        const status: ClusterStatus = { cluster: name, nats, nodes };
        kit.print(kit.json(command) ? jsonText(status, true) : statusText(status));
        if (nodes.some((row) => row.error !== undefined)) kit.fail();
      });
    });

  program
    .command('actors')
    .description('the active actors of a type: id, node, lifecycle phase, state value, mailbox, saved revision')
    .argument('<type>', 'actor type')
    .option('--node <id>', 'only this node')
    .option('--limit <n>', 'most actors listed per node', '1000')
    .action(async (type: string, local: { node?: string; limit: string }, command: Command) => {
      const limit = Number(local.limit);
      if (!Number.isSafeInteger(limit) || limit < 0) throw kit.usage(`--limit must be a non-negative integer`);
      await kit.withCluster(command, async (cluster) => {
        await kit.settledMembers(command, cluster);
        const ids = local.node === undefined ? cluster.view.members.map((member) => member.id) : [local.node];
        const answers = await Promise.all(
          ids.map((id) =>
            askNode<ActorsAnswer>(cluster.client.transport, kit.cluster(command), id, { op: 'actors', type, limit }),
          ),
        );
        const rows = answers.flatMap((answer) => actorRows(answer.node, answer.actors));
        kit.print(kit.json(command) ? jsonText(rows, true) : actorsTable(type, rows));
      });
    });

  program
    .command('actor')
    .description('one actor, on the node that owns it: phase, state, context, stored snapshot; or pause|resume|stop it')
    .argument('<type>', 'actor type')
    .argument('<id>', 'actor id')
    .argument('[command]', `one of ${ACTOR_COMMANDS.join(', ')}`)
    .action(async (type: string, id: string, action: string | undefined, _options: unknown, command: Command) => {
      if (action !== undefined && !(ACTOR_COMMANDS as readonly string[]).includes(action)) {
        throw kit.usage(`actor command must be one of ${ACTOR_COMMANDS.join(', ')}, got '${action}'`);
      }
      await kit.withCluster(command, async (cluster) => {
        await kit.settledMembers(command, cluster);
        const key = actorKey(type, id);
        const placement = placeActor(key, cluster.view);
        if (placement.type !== PlacementType.Node) throw kit.usage(`no live node owns ${key}`);
        const name = kit.cluster(command);
        const transport = cluster.client.transport;
        if (action === undefined) {
          const answer = await askNode<ActorAnswer>(transport, name, placement.node, { op: 'actor', type, id });
          kit.print(kit.json(command) ? jsonText(answer, true) : actorText(key, answer));
          return;
        }
        const op = action as ActorCommand;
        const answer = await askNode<ActorCommandAnswer>(transport, name, placement.node, { op, type, id });
        kit.print(
          kit.json(command)
            ? jsonText(answer, true)
            : `${key} on ${answer.node}: ${op} ${answer.changed ? 'done' : 'did not apply'} (now ${answer.status ?? 'not active'})`,
        );
        if (!answer.changed) kit.fail();
      });
    });

  program
    .command('watch')
    .description('print events of a type as they are published, one JSON line each (Ctrl-C stops)')
    .argument('<event-type>', 'event type; `*` matches one token, `>` the rest (e.g. orders.>)')
    .option('--count <n>', 'stop after this many events')
    .action(async (type: string, local: { count?: string }, command: Command) => {
      const count = local.count === undefined ? Number.POSITIVE_INFINITY : Number(local.count);
      if (!(count > 0) || (Number.isFinite(count) && !Number.isSafeInteger(count))) {
        throw kit.usage(`--count must be a positive integer, got '${local.count}'`);
      }
      await kit.withCluster(command, async (cluster) => {
        const filter = watchFilter(kit.cluster(command), type);
        if (filter === undefined)
          throw kit.usage(`'${type}' is not an event type or pattern (dotted parts, '*', a final '>')`);
        const codec = new EnvelopeCodec();
        let seen = 0;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            subscription.unsubscribe();
            process.off('SIGINT', done);
            process.off('SIGTERM', done);
            resolve();
          };
          // The transport hands over each frame's payload: one event envelope.
          const subscription = cluster.client.transport.subscribe(filter.subject, (frame) => {
            if (seen >= count) return;
            const envelope = codec.decode(frame);
            if (!filter.matches(envelope.target)) return;
            kit.print(
              JSON.stringify({
                type: dottedEventType(envelope.target),
                id: envelope.id,
                correlationId: envelope.correlationId,
                data: envelope.payload,
              }),
            );
            if (++seen >= count) done();
          });
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
          // The subscription alone does not hold the process open (the transport's timers are unref'd).
          const hold = (): void => {
            if (seen < count) keepProcessAlive(kit.clock.setTimeout(hold, 1_000));
          };
          hold();
        });
      });
    });
}
