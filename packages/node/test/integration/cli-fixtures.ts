/**
 * What the `lucent-node` integration tests share besides the harnesses in `src/testing/` (`node-process.ts`,
 * `node-process-cluster.ts`, `lucent-cli.ts`): fixture paths and an HTTP probe. `clusterNodeArgs` lives in
 * `node-process-cluster.ts`; it is re-exported here for the tests that start their nodes one by one.
 */
import { fileURLToPath } from 'node:url';
import { runAdmin } from '../../src/admin/admin-program.js';
import type { ClusterNodeOptions } from '../../src/testing/node-process-cluster.js';

export { clusterNodeArgs } from '../../src/testing/node-process-cluster.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export async function httpStatus(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.text();
  return response.status;
}

/**
 * The value of the series `name` whose labels include every pair of `labels`, read from the node's `/metrics` on
 * `port`; `NaN` when there is no such series.
 */
export async function metricValue(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((pair) => l.includes(pair)));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** What a `lucent` command did: its exit code and what it printed. */
export interface LucentRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `lucent <args>` (in this process) against the test cluster of `options`. */
export async function runLucent(options: ClusterNodeOptions, args: readonly string[]): Promise<LucentRun> {
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
