/** The child-process harness shared by tests, bench and the quick start: readiness, output, stop and kill by pid. */
import { afterEach, describe, expect, it } from 'vitest';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { codeOfSettled } from '../error-code.js';

const SCRIPT = new URL('../fixtures/child-script.mjs', import.meta.url).pathname;
const processes = new NodeProcesses();

afterEach(async () => {
  await processes.killAll();
});

describe('node process harness', () => {
  it('waits for a JSON log line and for plain output, passes env without the parent LUCENT_* variables', async () => {
    process.env.LUCENT_SHARD = 'from-parent';
    try {
      const child = processes.start({ script: SCRIPT, args: ['log'], env: { CHILD_SCRIPT_ENV: 'given' } });
      expect(await child.waitForLog('script.ready')).toEqual({ msg: 'script.ready', env: 'given', lucent: null });
      await child.waitForOutput('plain ready');
      expect(child.lines).toHaveLength(1); // the broken `{not json` line is output, not a log line
      expect(child.stdout).toContain('{not json');
      expect(child.pid).toBeGreaterThan(0);
      expect(await child.stop()).toEqual({ code: 0, signal: null });
      expect(child.running).toBe(false);
      expect(await child.stop()).toEqual({ code: 0, signal: null }); // idempotent
    } finally {
      delete process.env.LUCENT_SHARD;
    }
  });

  it('stop() escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const child = processes.start({ script: SCRIPT, args: ['stubborn'] });
    await child.waitForLog('script.ready');
    expect(await child.stop(200)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('kill() is kill -9 at once', async () => {
    const child = processes.start({ script: SCRIPT, args: ['stubborn'] });
    await child.waitForLog('script.ready');
    child.kill();
    expect(await child.exit(5_000)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects a wait with ConfigError (carrying stderr) when the process exits first, TimeoutError when late', async () => {
    const failing = processes.start({ script: SCRIPT, args: ['fail'] });
    const early = await failing.waitForLog('script.ready').catch((error: unknown) => error);
    expect(early).toMatchObject({ code: 'LUCENT_CONFIG' });
    expect(String((early as Error).message)).toContain('boom');
    expect(await failing.exit()).toEqual({ code: 3, signal: null });
    const waiting = processes.start({ script: SCRIPT, args: ['log'] });
    expect(await codeOfSettled(waiting.waitForLog('never.logged', 300))).toBe('LUCENT_TIMEOUT');
  });

  it('refuses a script that does not exist with ConfigError', () => {
    expect(() => processes.start({ script: '/no/such/script.mjs' })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG' }),
    );
  });
});
