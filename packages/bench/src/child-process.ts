/** Helper processes of a bench (responders, shard nodes): started until they say they are ready, stopped by pid. */
import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Spawns `node ...args` and resolves once its stdout has shown `marker`. Rejects if it exits first or is not
 * ready within `readyTimeoutMs`.
 */
export async function startProcess(
  args: readonly string[],
  marker: string,
  readyTimeoutMs = 20_000,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} not ready within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdout?.resume();
  return child;
}

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves when the process has exited. Idempotent. */
export async function stopProcess(child: ChildProcess | undefined, killAfterMs = 5_000): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
