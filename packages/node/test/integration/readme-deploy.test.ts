/**
 * README "Deploying functions", as written: the section's two TypeScript modules are written to files, its
 * `lucent` commands run in order (through `runAdmin`, this process) against two real `lucent-node` processes on
 * a real nats-server, and the client snippet's call is made with the same options, answering what its comment
 * says.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/admin/admin-program.js';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs } from './cli-fixtures.js';

const CLUSTER = 'readme-deploy';
const HEARTBEAT_MS = 200;
const readmePath = fileURLToPath(new URL('../../../../README.md', import.meta.url));
// Inside the package, so the bundler resolves `@lucent/core` from the modules as a user's project would.
const workDir = fileURLToPath(new URL(`../../.readme-deploy-${process.pid}/`, import.meta.url));
const processes = new NodeProcesses();
let server: NatsServerHandle;
let section = '';

beforeAll(async () => {
  const readme = await readFile(readmePath, 'utf8');
  const start = readme.indexOf('## Deploying functions');
  section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  await mkdir(workDir, { recursive: true });
  for (const match of section.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)) {
    await writeFile(join(workDir, match[1] as string), match[2] as string);
  }
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  const nodes = ['a', 'b'].map((id) => processes.start({ args: clusterNodeArgs(id, options, ['--threads', '1']) }));
  await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
}, 60_000);

afterAll(async () => {
  await processes.killAll();
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('README: Deploying functions', () => {
  it('runs the commands and the client call as written', async () => {
    const shell = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = shell
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line.startsWith('lucent '));
    expect(commands).toHaveLength(5);
    let cluster: ClusterClient | undefined;
    try {
      for (const command of commands) {
        const args = command
          .split(/\s+/)
          .slice(1)
          .map((arg) => (arg.startsWith('./') ? join(workDir, arg) : arg));
        let out = '';
        let err = '';
        const code = await runAdmin(
          ['--nats', server.url, '--cluster', CLUSTER, '--heartbeat-interval-ms', String(HEARTBEAT_MS), ...args],
          { writeOut: (text) => (out += text), writeErr: (text) => (err += text) },
        );
        expect({ command, code, err }).toEqual({ command, code: 0, err: '' });
        if (args[0] === 'functions') expect(out).toMatch(/quote\s.*\b2\b/);
      }
      // The snippet, with this test's server.
      cluster = await connectCluster({
        servers: server.url,
        cluster: CLUSTER,
        heartbeatIntervalMs: HEARTBEAT_MS,
        registry: { tags: ['eu'] },
      });
      const deadline = Date.now() + 20_000;
      let answer: unknown;
      while (Date.now() < deadline) {
        answer = await cluster.client.call('quote', { qty: 3 }).catch((error: unknown) => error);
        if (JSON.stringify(answer) === JSON.stringify({ version: '1', total: 30 })) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answer).toEqual({ version: '1', total: 30 });
      expect(section).toContain("// { version: '1', total: 30 }");
    } finally {
      await cluster?.close();
    }
  }, 90_000);
});
