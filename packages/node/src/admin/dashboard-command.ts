/** `lucent dashboard [--port p] [--host h]`: serves the live web dashboard until Ctrl-C (`dashboard/`). */
import type { Command } from 'commander';
import { DashboardCollector } from '../dashboard/dashboard-collector.js';
import { DashboardServer } from '../dashboard/dashboard-server.js';
import { keepProcessAlive } from '../keep-alive.js';
import type { AdminKit } from './inspect-commands.js';

/** Default port of `lucent dashboard`. */
export const DEFAULT_DASHBOARD_PORT = 7070;

export function addDashboardCommand(program: Command, kit: AdminKit): void {
  program
    .command('dashboard')
    .description('serve the live web dashboard (nodes, ring, functions, actors) until Ctrl-C')
    .option('--port <port>', 'HTTP port; 0 picks a free one', String(DEFAULT_DASHBOARD_PORT))
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes it)', '127.0.0.1')
    .action(async (local: { port: string; host: string }, command: Command) => {
      const port = Number(local.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw kit.usage(`--port must be a port number, got '${local.port}'`);
      await kit.withCluster(command, async (cluster) => {
        const collector = new DashboardCollector({ cluster, clusterName: kit.cluster(command), clock: kit.clock });
        const server = await DashboardServer.start({ collector, clock: kit.clock, port, host: local.host });
        collector.start();
        kit.print(`dashboard at ${server.url} (Ctrl-C stops)`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          const hold = (): void => {
            keepProcessAlive(kit.clock.setTimeout(hold, 60_000));
          };
          hold();
        });
        collector.stop();
        await server.close();
      });
    });
}
