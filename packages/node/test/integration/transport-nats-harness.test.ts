/** The nats-server harness itself: own port and store, stop by pid, clear failure without the binary. */
import { existsSync } from 'node:fs';
import { ConfigError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { findNatsServerBinary, startNatsServer } from '../../src/testing/nats-server.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('nats-server harness', () => {
  it('finds the installed binary (CI installs it; a missing one fails here, it is not skipped)', () => {
    expect(findNatsServerBinary()).toMatch(/nats-server$/);
  });

  it('fails with ConfigError naming the places it looked when the binary is missing', () => {
    let error: unknown;
    try {
      findNatsServerBinary('/nonexistent/nats-server');
    } catch (e) {
      error = e;
    }
    expect(ConfigError.is(error)).toBe(true);
    expect((error as ConfigError).details.field).toBe('binary');
  });

  it('stop() kills the process by pid and removes the store; it is idempotent', async () => {
    const server = await startNatsServer({ jetstream: true });
    const { pid, storeDir } = server;
    expect(alive(pid)).toBe(true);
    expect(storeDir !== undefined && existsSync(storeDir)).toBe(true);
    await server.stop();
    await server.stop();
    expect(alive(pid)).toBe(false);
    expect(storeDir !== undefined && existsSync(storeDir)).toBe(false);
  });

  it('restart() keeps port and store, with a new pid', async () => {
    const server = await startNatsServer({ jetstream: true });
    try {
      const { port, storeDir, pid } = server;
      await server.restart();
      expect(server.port).toBe(port);
      expect(server.storeDir).toBe(storeDir);
      expect(server.pid).not.toBe(pid);
      expect(alive(pid)).toBe(false);
      expect(alive(server.pid)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
