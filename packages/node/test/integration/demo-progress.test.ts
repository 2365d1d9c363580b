/**
 * `pnpm demo` (scripts/run-built.mjs): says it is building, how long the build and the whole run took, and exits
 * with the script's code; and the root `pnpm lucent-node` script and the package's bin reach the CLI.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const processes = new NodeProcesses();

afterEach(async () => {
  await processes.killAll();
});

describe('pnpm demo runner', () => {
  it('prints build progress and the total time, and passes the exit code on', async () => {
    const demo = processes.start({
      script: `${repoRoot}scripts/run-built.mjs`,
      cwd: repoRoot,
      args: [fixture('child-script.mjs'), 'fail'],
    });
    const exit = await demo.exit(120_000);
    expect(exit.code).toBe(3);
    expect(demo.stdout).toContain('building (tsc -b)');
    expect(demo.stdout).toMatch(/built in [\d.]+ s; running /);
    expect(demo.stdout).toMatch(/total [\d.]+ s \(build [\d.]+ s\)/);
  }, 130_000);
});

describe('lucent-node from the clone', () => {
  it('runs through the root script and the committed bin (which exists before any build)', async () => {
    const root = JSON.parse(await readFile(`${repoRoot}package.json`, 'utf8')) as { scripts: Record<string, string> };
    const pkg = JSON.parse(await readFile(`${repoRoot}packages/node/package.json`, 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin['lucent-node']).toBe('./bin/lucent-node.js');
    expect(root.scripts['lucent-node']).toBe('node packages/node/bin/lucent-node.js');
    const cli = processes.start({ script: `${repoRoot}packages/node/bin/lucent-node.js`, args: ['--version'] });
    expect((await cli.exit()).code).toBe(0);
    expect(cli.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
