// `pnpm demo:cluster` runs this demo: keep it working (needs `tsc -b`, which `pnpm test` runs). Both modes:
// three lucent-node processes on nats-server (when installed), and three shards in one process.
import { fileURLToPath } from 'node:url';
import { startNodeProcess } from '@lucent/node/internal';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Runs the built demo to its end (killed after `timeoutMs`) and resolves with its stdout; it must exit 0. */
async function run(env: Record<string, string>, timeoutMs: number): Promise<string> {
  const demo = startNodeProcess({ script: main, env });
  try {
    const exit = await demo.exit(timeoutMs);
    // The demo prints why it failed on stdout ("demo failed: …"): show both.
    expect(exit, `${demo.stdout}\n${demo.stderr}`).toEqual({ code: 0, signal: null });
    return demo.stdout;
  } finally {
    demo.kill();
  }
}

function checkTraffic(stdout: string): void {
  expect(stdout).toContain('cluster ready: s1, s2, s3');
  expect(stdout).toMatch(/one at a time: +p50 [\d.]+ ms · p90 [\d.]+ ms · p99 [\d.]+ ms/);
  expect(stdout.match(/filled 100\/100 in 10 fills/g)).toHaveLength(5);
  expect(stdout).toContain('auditOrderCompleted for ord-1');
  expect(stdout).toMatch(/done in [\d.]+ s/);
}

describe('quick start demo', () => {
  it('runs three shards in one process on the in-memory transport', async () => {
    const stdout = await run({ LUCENT_DEMO_IN_PROCESS: '1' }, 60_000);
    expect(stdout).toContain('3 shards in this process');
    checkTraffic(stdout);
  }, 65_000);

  // On a loaded machine the burst of 1000 calls makes an owner refuse keyed calls (OverloadedError): the demo
  // waits them out (overload-retry.ts; once it exited 1 on them in CI).
  it('runs three lucent-node processes on nats-server, each account priced on its ring owner', async () => {
    const stdout = await run({}, 60_000);
    if (stdout.includes('3 shards in this process')) return; // no nats-server on this machine
    expect(stdout).toContain('served on the ring owner: 24/24');
    checkTraffic(stdout);
    expect(stdout).toMatch(/stopped the shards \(pids \d+, \d+, \d+\)/);
  }, 65_000);
});
