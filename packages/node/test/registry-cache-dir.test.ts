import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openProcessCacheDir, staleCacheDirs } from '../src/registry/module-cache-dir.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('staleCacheDirs', () => {
  it('names the <pid>.<n> directories of dead processes other than this one, and nothing else', () => {
    const alive = new Set([10, 11]);
    const names = ['10.0', '11.3', '12.0', '12.1', '13.0', '99', 'x.0', '0.1', 'abc', '14.0.mjs', '5.0'];
    expect(staleCacheDirs(names, 5, (pid) => alive.has(pid))).toEqual(['12.0', '12.1', '13.0']);
  });
});

describe('openProcessCacheDir', () => {
  it('creates a directory per opener, sweeps dead processes’ directories, and removes its own on remove', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lucent-cache-'));
    roots.push(root);
    await mkdir(join(root, '7.0'));
    await writeFile(join(root, '7.0', 'a.mjs'), '');
    await mkdir(join(root, '8.0'));
    await writeFile(join(root, 'legacy.mjs'), '');
    const isAlive = (pid: number) => pid === 8;
    const first = await openProcessCacheDir(root, 5, isAlive);
    const second = await openProcessCacheDir(root, 5, isAlive);
    expect(first.dir).not.toBe(second.dir);
    expect((await readdir(root)).sort()).toEqual(
      ['8.0', 'legacy.mjs', first.dir.slice(root.length + 1), second.dir.slice(root.length + 1)].sort(),
    );
    await first.remove();
    await first.remove();
    expect((await readdir(root)).sort()).toEqual(['8.0', 'legacy.mjs', second.dir.slice(root.length + 1)].sort());
  });
});
