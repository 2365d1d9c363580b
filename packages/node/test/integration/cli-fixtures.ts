/**
 * What the `lucent-node` integration tests share besides the process harness (`src/testing/node-process.ts`):
 * fixture paths, one cluster node's arguments, and an HTTP probe.
 */
import { fileURLToPath } from 'node:url';
import { runAdmin } from '../../src/admin/admin-program.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Where and how fast the nodes of a test cluster talk. */
export interface TestClusterNodeOptions {
  readonly cluster: string;
  readonly natsUrl: string;
  readonly heartbeatMs: number;
}

/**
 * Arguments of one `lucent-node` of a test cluster: node `id` on `natsUrl`, an OS-chosen HTTP port and the
 * cluster's heartbeat, followed by `extra` (modules, threads, ...).
 */
export function clusterNodeArgs(id: string, options: TestClusterNodeOptions, extra: readonly string[]): string[] {
  return [
    ...['--shard', id, '--cluster', options.cluster, '--nats', options.natsUrl, '--http-port', '0'],
    ...['--heartbeat-interval-ms', String(options.heartbeatMs), ...extra],
  ];
}

export async function httpStatus(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.text();
  return response.status;
}

/** What a `lucent` command did: its exit code and what it printed. */
export interface LucentRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `lucent <args>` (in this process) against the test cluster of `options`. */
export async function runLucent(options: TestClusterNodeOptions, args: readonly string[]): Promise<LucentRun> {
  let out = '';
  let err = '';
  const io = { writeOut: (text: string) => (out += text), writeErr: (text: string) => (err += text) };
  const code = await runAdmin(
    [
      '--nats',
      options.natsUrl,
      '--cluster',
      options.cluster,
      '--heartbeat-interval-ms',
      String(options.heartbeatMs),
      ...args,
    ],
    io,
  );
  return { code, out, err };
}
