// `ctx.waitFor` of saga steps on the in-memory bus and a simulated clock: the first matching event wins, others are
// skipped, the timeout rejects with TimeoutError, an abort rejects with its reason, and nothing stays subscribed.
import { EnvelopeCodec, eventEnvelope, eventSubject, SimulatedClock, TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { waitForEvent } from '../src/saga/step-context.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const bus = new InMemoryBus();
  const clock = new SimulatedClock();
  const codec = new EnvelopeCodec();
  const waiter = new InMemoryTransport(bus, { cluster: 'w', name: 'waiter', clock });
  const sender = new InMemoryTransport(bus, { cluster: 'w', name: 'sender', clock });
  const emit = (type: string, data: unknown) =>
    sender.send(eventSubject('w', type), codec.encode(eventEnvelope(type, data)));
  return { clock, emit, services: { transport: waiter, codec, cluster: 'w', clock } };
}

describe('waitForEvent', () => {
  it('resolves with the first event of the type that matches', async () => {
    const { emit, services } = setup();
    const waiting = waitForEvent<{ sagaId: string; n: number }>(
      services,
      'Go',
      (data) => data.sagaId === 's1',
      5_000,
      new AbortController().signal,
    );
    emit('Go', { sagaId: 'other', n: 1 });
    emit('Stop', { sagaId: 's1', n: 2 });
    emit('Go', { sagaId: 's1', n: 3 });
    emit('Go', { sagaId: 's1', n: 4 });
    await flush();
    expect(await waiting).toEqual({ sagaId: 's1', n: 3 });
  });

  it('rejects with TimeoutError after timeoutMs of (simulated) time, and on abort with its reason', async () => {
    const { clock, emit, services } = setup();
    const late = waitForEvent(services, 'Go', () => true, 5_000, new AbortController().signal);
    const outcome = late.then(
      () => 'resolved',
      (error: unknown) => (TimeoutError.is(error) ? 'timeout' : String(error)),
    );
    clock.advance(4_999);
    await flush();
    clock.advance(1);
    expect(await outcome).toBe('timeout');
    emit('Go', {}); // nobody listens any more: no throw, nothing pending
    const controller = new AbortController();
    const aborted = waitForEvent(services, 'Go', () => true, 5_000, controller.signal);
    controller.abort(new Error('node stopping'));
    await expect(aborted).rejects.toThrow('node stopping');
    expect(clock.pendingTimers).toBe(0);
  });
});
