/**
 * Leftovers of a test run: child processes still alive and temp dirs still on disk when the test process exits
 * (a failed test that never reached its clean-up). One `exit` hook kills the children with SIGKILL and removes
 * the dirs; the harnesses (`nats-server.ts`, `node-process.ts`) register what they start and forget it once it is
 * stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const child of children) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Kills `child` when this process exits, unless it exited first (it is forgotten on its own `exit`). */
export function reapOnExit(child: ChildProcess): void {
  installExitHook();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes `dir` when this process exits, unless {@link forgetDir} was called first. */
export function removeOnExit(dir: string): void {
  installExitHook();
  dirs.add(dir);
}

/** The caller removed `dir` itself. */
export function forgetDir(dir: string): void {
  dirs.delete(dir);
}
