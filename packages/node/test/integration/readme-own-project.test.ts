/**
 * README "Use Lucent in your own project", as written: pack the packages, install the tarballs into an empty
 * project with npm (dependencies from the registry), write the README's three files, start two installed
 * `lucent-node` bins from there against a real nats-server, run the README's app and the installed `lucent` CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const processes = new NodeProcesses();
let project: string | undefined;
let server: NatsServerHandle | undefined;

afterAll(async () => {
  await processes.killAll();
  await server?.stop();
  if (project !== undefined) await rm(project, { recursive: true, force: true });
});

/** The README section's `js` blocks that start with `// <file>`, by file name. */
function readmeFiles(readme: string): Map<string, string> {
  const start = readme.indexOf('## Use Lucent in your own project');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const files = new Map<string, string>();
  for (const match of section.matchAll(/```js\n\/\/ (\S+)\n([\s\S]*?)```/g)) {
    files.set(match[1] as string, match[2] as string);
  }
  return files;
}

/** pnpm as the test runs under it (`npm_execpath` when started by pnpm), else the one on PATH. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(execPath)) return [process.execPath, [execPath]];
  return ['pnpm', []];
}

describe('README: use Lucent in your own project', () => {
  it('packs, installs with npm, and runs the app against two installed lucent-node processes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lucent-my-app-'));
    project = dir;
    const [pnpm, pnpmArgs] = pnpmCommand();
    await run(
      pnpm,
      [...pnpmArgs, '-r', '--filter', './packages/{core,actors,node}', 'pack', '--pack-destination', dir],
      {
        cwd: repoRoot,
      },
    );
    await run('npm', ['init', '-y'], { cwd: dir });
    await run('npm', ['pkg', 'set', 'type=module'], { cwd: dir });
    const tarballs = (await readdir(dir)).filter((name) => /^lucent-.*\.tgz$/.test(name));
    expect(tarballs).toHaveLength(3);
    await run(
      'npm',
      ['install', ...tarballs.map((name) => `./${name}`), 'xstate', '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: dir, timeout: 240_000 },
    );

    const files = readmeFiles(await readFile(join(repoRoot, 'README.md'), 'utf8'));
    expect([...files.keys()].sort()).toEqual(['actors.mjs', 'app.mjs', 'fns.mjs']);
    for (const [name, text] of files) await writeFile(join(dir, name), text);

    server = await startNatsServer();
    const bin = join(dir, 'node_modules', '.bin', 'lucent-node');
    const nodes = ['a', 'b'].map((shard) =>
      processes.start({
        script: bin,
        cwd: dir,
        args: ['--shard', shard, '--nats', server!.url, '--functions', './fns.mjs', '--actors', './actors.mjs'].concat(
          '--http-port',
          '0',
        ),
      }),
    );
    for (const node of nodes) await node.waitForLog('node.ready', 30_000);

    const app = processes.start({ script: join(dir, 'app.mjs'), cwd: dir, env: { NATS_URL: server.url } });
    const exit = await app.exit(30_000);
    expect(exit, app.stderr).toEqual({ code: 0, signal: null });
    expect(app.stdout).toContain('hello ada');
    expect(app.stdout).toContain('{ count: 2 }');

    // The installed admin CLI, as the README shows it.
    const lucent = join(dir, 'node_modules', '.bin', 'lucent');
    const called = await run(lucent, ['call', 'greet', '{"name":"ada"}', '--json', '--nats', server.url], { cwd: dir });
    expect(called.stdout.trim()).toBe('"hello ada"');
  }, 300_000);
});
