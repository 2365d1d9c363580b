/**
 * Where a process keeps the bundle files it imports, and how they are cleaned up: each user of the cache (a
 * node's registry, a deploy) writes under a directory of its own in the shared cache root, so removing a file
 * never pulls it from under another (several nodes of one host share `<os tmp>/lucent-modules`).
 *
 * ```
 *  <root>/<pid>.<n>/<checksum>.mjs   written when a version is loaded, removed when its pool is retired
 *  <root>/<pid>.<n>/                 removed when the node stops (or the deploy ends)
 *  <root>/<dead pid>.<n>/            left by a killed process: removed by the next process that opens the root
 * ```
 * So the cache holds the bundles of the versions loaded now, on live processes, and nothing else for longer
 * than until the next start on the host.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Openers so far in this process: each gets its own directory. */
let opened = 0;

/** The cache directory of one user in this process (see the module doc). */
export interface ProcessCacheDir {
  /** `<root>/<pid>.<n>`, created. */
  readonly dir: string;
  /** Removes the directory and its files. Idempotent; never rejects. */
  remove(): Promise<void>;
}

/** True when process `pid` runs (signal 0 probes without signalling; EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The entries of a cache root that belong to processes gone: `<pid>.<n>` names whose pid is not `self` and not
 * alive by `isAlive`. Other names (files, foreign directories) are not ours to remove. Pure.
 */
export function staleCacheDirs(names: readonly string[], self: number, isAlive: (pid: number) => boolean): string[] {
  return names.filter((name) => {
    const match = /^([1-9][0-9]*)\.[0-9]+$/.exec(name);
    if (match === null) return false;
    const pid = Number(match[1]);
    return pid !== self && !isAlive(pid);
  });
}

/**
 * Creates `<root>/<pid>.<n>` (`n` unique in this process) and removes the directories of dead processes under `root` (best effort: a removal
 * that fails is left for the next start). Rejects only when the directory cannot be created.
 */
export async function openProcessCacheDir(
  root: string,
  pid: number = process.pid,
  isAlive: (pid: number) => boolean = processAlive,
): Promise<ProcessCacheDir> {
  const dir = join(root, `${pid}.${opened++}`);
  await mkdir(dir, { recursive: true });
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    staleCacheDirs(names, pid, isAlive).map((name) =>
      rm(join(root, name), { recursive: true, force: true }).catch(() => undefined),
    ),
  );
  return {
    dir,
    remove: () => rm(dir, { recursive: true, force: true }).catch(() => undefined),
  };
}
