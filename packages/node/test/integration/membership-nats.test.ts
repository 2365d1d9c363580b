/**
 * Membership over a real nats-server (harness, free port): three members on three NatsTransport connections,
 * real time with short intervals. Fails (does not skip) when nats-server is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Membership } from '../../src/membership/membership.js';
import { MembershipEventType } from '../../src/membership/membership-events.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';

const INTERVAL = 100;
const DEAD = 300;
/** Slack over `DEAD` for detecting a death: timer latency and a loaded 2-core machine. */
const DETECTION_BOUND_MS = 300;

let server: NatsServerHandle;
const transports: NatsTransport[] = [];
const memberships: Membership[] = [];

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  for (const m of memberships) await m.stop();
  await Promise.all(transports.map((t) => t.close()));
  await server?.stop();
});

async function member(nodeId: string): Promise<{ membership: Membership; transport: NatsTransport }> {
  const transport = await NatsTransport.connect({ servers: server.url, cluster: 'it', name: nodeId });
  const membership = new Membership({
    transport,
    nodeId,
    cluster: 'it',
    heartbeatIntervalMs: INTERVAL,
    deadAfterMs: DEAD,
  });
  transports.push(transport);
  memberships.push(membership);
  return { membership, transport };
}

const KEYS = Array.from({ length: 1000 }, (_, i) => `order-${i}`);
const owners = (m: Membership) => KEYS.map((k) => m.view.ring.owner(k));
const ids = (m: Membership) => m.view.members.map((x) => x.id);

describe('Membership over NATS (real server, real time)', () => {
  it('three members converge; one whose connection closes without a leave is removed within the window', async () => {
    const a = await member('node-a');
    const b = await member('node-b');
    const c = await member('node-c');
    const diedAt = new Map<string, number>();
    const otherEvents: string[] = [];
    for (const { membership } of [a, b]) {
      membership.onEvent((e) => {
        if (e.type === MembershipEventType.Died && e.member.id === 'node-c')
          diedAt.set(membership.nodeId, performance.now());
        else if (e.type !== MembershipEventType.Joined)
          otherEvents.push(`${membership.nodeId}:${e.type}:${e.member.id}`);
      });
    }
    const started = performance.now();
    await Promise.all([a, b, c].map((x) => x.membership.start()));
    // Probes make everyone answer at once: convergence takes round trips, not a heartbeat interval.
    await until(() => [a, b, c].every((x) => x.membership.view.members.length === 3), 2_000);
    const convergedMs = performance.now() - started;
    expect(convergedMs).toBeLessThan(DEAD);
    expect(owners(b.membership)).toEqual(owners(a.membership));
    expect(owners(c.membership)).toEqual(owners(a.membership));

    // Keep going for a few intervals: heartbeats keep everyone alive.
    await new Promise((r) => setTimeout(r, 2 * DEAD));
    for (const x of [a, b, c]) expect(ids(x.membership)).toEqual(['node-a', 'node-b', 'node-c']);

    const closedAt = performance.now();
    await c.transport.close(); // the connection goes away; c's membership is never stopped, so no leave
    await until(() => diedAt.size === 2, DEAD + DETECTION_BOUND_MS + 1_000);
    for (const at of diedAt.values()) {
      const elapsed = at - closedAt;
      // c's last heartbeat left about one interval before the close (two, if its timer ran late on a busy
      // machine), so it cannot have died much earlier than this.
      expect(elapsed).toBeGreaterThanOrEqual(DEAD - 2 * INTERVAL);
      expect(elapsed).toBeLessThanOrEqual(DEAD + DETECTION_BOUND_MS);
    }
    expect(otherEvents).toEqual([]);
    expect(ids(a.membership)).toEqual(['node-a', 'node-b']);
    expect(ids(b.membership)).toEqual(['node-a', 'node-b']);
    const survivors = owners(a.membership);
    expect(owners(b.membership)).toEqual(survivors);
    expect(survivors).not.toContain('node-c');
    expect(c.membership.isRunning).toBe(false);
  });
});
