/**
 * SimulatedClusterTime: simulated time moved timer by timer over an in-memory bus, with the messages each timer
 * sends delivered (and answered) before the next one fires. No real timer anywhere.
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClusterTime } from '../src/testing/simulated-cluster-time.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';

const open: InMemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A clock, its driver and two connections on one bus, sharing the clock. */
function setup() {
  const bus = new InMemoryBus();
  const clock = new SimulatedClock();
  const a = new InMemoryTransport(bus, { clock });
  const b = new InMemoryTransport(bus, { clock });
  open.push(a, b);
  return { clock, time: new SimulatedClusterTime(clock, bus), a, b };
}

const frame = (n: number) => new Uint8Array([n]);

describe('SimulatedClusterTime', () => {
  it('settle runs request/reply chains to rest without moving time', async () => {
    const { clock, time, a, b } = setup();
    // b answers every ping; a forwards each answer as the next ping, five times.
    b.subscribe('ping', (data, replier) => replier?.reply(frame((data[0] ?? 0) + 1)));
    const answers: number[] = [];
    const chain = async (n: number): Promise<void> => {
      const answer = (await a.request('ping', frame(n), 1_000))[0] ?? 0;
      answers.push(answer);
      if (answer < 5) await chain(answer);
    };
    void chain(0);
    await time.settle();
    expect(answers).toEqual([1, 2, 3, 4, 5]);
    expect(clock.now()).toBe(0);
  });

  it('advance delivers what each timer sends before the next timer fires, and ends at exactly now + ms', async () => {
    const { clock, time, a, b } = setup();
    const seen: string[] = [];
    b.subscribe('tick', (data) => seen.push(`got ${data[0]} at ${clock.now()}`));
    for (const at of [10, 20, 30]) {
      clock.setTimeout(() => {
        seen.push(`sent ${at} at ${clock.now()}`);
        a.send('tick', frame(at));
      }, at);
    }
    await time.advance(25);
    expect(seen).toEqual(['sent 10 at 10', 'got 10 at 10', 'sent 20 at 20', 'got 20 at 20']);
    expect(clock.now()).toBe(25);
    await time.advance(5);
    expect(seen.slice(4)).toEqual(['sent 30 at 30', 'got 30 at 30']);
    expect(clock.now()).toBe(30);
  });

  it('advance fires the timeout of a request nobody answers, on simulated time', async () => {
    const { clock, time, a, b } = setup();
    b.subscribe('silent', () => {});
    let outcome = 'pending';
    a.request('silent', frame(1), 250).then(
      () => {
        outcome = 'answered';
      },
      (error: { code?: string }) => {
        outcome = `${error.code} at ${clock.now()}`;
      },
    );
    await time.advance(249);
    expect(outcome).toBe('pending');
    await time.advance(1);
    expect(outcome).toBe('LUCENT_TIMEOUT at 250');
  });

  it('drive stops at the firing after which the work settled, and gives up after maxSteps', async () => {
    const { clock, time } = setup();
    const work = new Promise<void>((resolve) => clock.setTimeout(resolve, 250));
    expect(await time.drive(work, 100, 10)).toBe(true);
    expect(clock.now()).toBe(250); // not 300: it stopped inside the third step
    const never = new Promise<void>(() => {});
    expect(await time.drive(never, 100, 4)).toBe(false);
    expect(clock.now()).toBe(650);
    // Settled work costs no time.
    expect(await time.drive(Promise.resolve(), 100, 4)).toBe(true);
    expect(clock.now()).toBe(650);
  });
});
