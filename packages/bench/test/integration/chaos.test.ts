/**
 * The bounded chaos run (`pnpm chaos` in small): real nats-server(s) and three `lucent-node` processes (the built
 * CLI; the integration tier builds first) under a mixed load of deposits to account actors, durable events and
 * function calls. One run kills a random node with -9 four times (restarting it each time), pauses one node
 * (SIGSTOP) for longer than the dead window and resumes it, then kills nats-server and restarts it with its store.
 * A second run does the same on a 3-server NATS cluster (replicas 3), killing one server with -9 under load.
 *
 * Each asserts the zeros: no acknowledged deposit lost, none applied twice, no event acknowledged by the
 * stream left unhandled, no failure outside a fault's window, no node crashed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAOS_OPTIONS } from '../../src/chaos/chaos-options.js';
import { chaosJsonLine, chaosTable } from '../../src/chaos/chaos-report.js';
import { type ChaosResult, runChaos } from '../../src/chaos/chaos-run.js';

const BOUNDED = {
  ...DEFAULT_CHAOS_OPTIONS,
  nodes: 3,
  actors: 24,
  heartbeatMs: 500,
  warmupMs: 1_000,
  settleMs: 1_000,
  drainMs: 8_000, // past the nodes' event ack wait (5 s), so a killed node's event is redelivered in time
  failoverCapMs: 15_000,
};

function expectZeros(result: ChaosResult): void {
  // The table in the test output, so a failure (or a pass) shows every count and each cycle's failover time.
  process.stdout.write(`${chaosTable(result)}\n${chaosJsonLine(result)}\n`);
  const { counts } = result;
  const mustBeZero = {
    lost: counts.lost,
    doubleApplied: counts.doubleApplied,
    inconsistentAccounts: counts.inconsistentAccounts,
    unreadableAccounts: counts.unreadableAccounts,
    unhandledEvents: counts.unhandledEvents,
    failedOutsideWindows: counts.failedOutsideWindows,
    unexpectedExits: result.unexpectedExits.length,
  };
  expect(mustBeZero).toEqual(Object.fromEntries(Object.keys(mustBeZero).map((key) => [key, 0])));
  expect(counts.ackedDeposits).toBeGreaterThan(0);
  expect(counts.ackedEvents).toBeGreaterThan(0);
}

describe('chaos (bounded): kill -9, SIGSTOP and NATS restarts under a mixed load', () => {
  it('loses nothing acknowledged on one nats-server: 4 kill cycles, one pause, one NATS restart', async () => {
    const result = await runChaos({ ...BOUNDED, cycles: 4, seed: 18, pauseMs: 5_000, natsRestart: true });
    expect(result.cycles).toHaveLength(4);
    expect(result.pause).toBeDefined();
    expect(result.nats).toBeDefined();
    expectZeros(result);
  }, 150_000);

  it('loses nothing acknowledged on a 3-server NATS cluster when one server is killed with -9', async () => {
    const result = await runChaos({ ...BOUNDED, natsCluster: true, cycles: 1, seed: 3, pauseMs: 0, natsRestart: true });
    expect(result.nats?.server).toMatch(/^s\d$/);
    expectZeros(result);
  }, 150_000);
});
