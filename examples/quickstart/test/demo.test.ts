// `pnpm demo:cluster` runs this demo: keep it working (needs `tsc -b`, which `pnpm test` runs). Both modes:
// three lucent-node processes on nats-server (when installed), and three shards in one process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const run = promisify(execFile);

function checkTraffic(stdout: string): void {
  expect(stdout).toContain('cluster ready: s1, s2, s3');
  expect(stdout).toMatch(/one at a time: +p50 [\d.]+ ms · p90 [\d.]+ ms · p99 [\d.]+ ms/);
  expect(stdout.match(/filled 100\/100 in 10 fills/g)).toHaveLength(5);
  expect(stdout).toContain('auditOrderCompleted for ord-1');
  expect(stdout).toMatch(/done in [\d.]+ s/);
}

describe('quick start demo', () => {
  it('runs three shards in one process on the in-memory transport', async () => {
    const env = { ...process.env, LUCENT_DEMO_IN_PROCESS: '1' };
    const { stdout } = await run(process.execPath, [main], { timeout: 60_000, env });
    expect(stdout).toContain('3 shards in this process');
    checkTraffic(stdout);
  }, 65_000);

  it('runs three lucent-node processes on nats-server, each account priced on its ring owner', async () => {
    const { stdout } = await run(process.execPath, [main], { timeout: 60_000 });
    if (stdout.includes('3 shards in this process')) return; // no nats-server on this machine
    expect(stdout).toContain('served on the ring owner: 24/24');
    checkTraffic(stdout);
    expect(stdout).toMatch(/stopped the shards \(pids \d+, \d+, \d+\)/);
  }, 65_000);
});
